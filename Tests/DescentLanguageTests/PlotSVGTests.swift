import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Testing
@testable import DescentLanguage

/// Every plot kind's SVG is well-formed XML with its series, axis labels, title and legend.
@Suite struct PlotSVGTests {
    /// Element names and classes, and the text, of an XML document; nil when it does not parse.
    final class Collector: NSObject, XMLParserDelegate {
        var classes: [String] = []
        var names: [String] = []
        var text = ""
        func parser(_ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?, qualifiedName: String?,
                    attributes: [String: String] = [:]) {
            names.append(elementName)
            if let value = attributes["class"] { classes.append(value) }
            if let name = attributes["data-name"] { text += " [series \(name)]" }
        }
        func parser(_ parser: XMLParser, foundCharacters string: String) { text += string }
    }

    func parse(_ svg: String) -> Collector? {
        let collector = Collector()
        let parser = XMLParser(data: Data(svg.utf8))
        parser.delegate = collector
        return parser.parse() ? collector : nil
    }

    func svg(_ code: String) throws -> String {
        let interpreter = Interpreter(output: Output { _ in })
        interpreter.dataDirectory = repositoryRoot + "/lessons/data"
        guard case .string(let text) = try interpreter.run(code + ".svg", name: "plot.dsc") else {
            Issue.record("no SVG text")
            return ""
        }
        return text.value
    }

    @Test func linePlotHasItsSeriesLabelsAndLegend() throws {
        let document = try #require(parse(try svg("plot({constant: [3, 2, 1], cosine: [3, 1.5, 0]}, title: \"loss <curves>\", xlabel: \"step\", ylabel: \"loss\")")))
        #expect(document.names.first == "svg")
        #expect(document.classes.filter { $0 == "series" }.count == 2)
        #expect(document.classes.contains("legend") && document.classes.contains("xlabel") && document.classes.contains("ylabel"))
        for text in ["loss <curves>", "step", "constant", "cosine", "[series constant]", "[series cosine]"] {
            #expect(document.text.contains(text), "missing \(text)")
        }
    }

    @Test(arguments: [
        "scatter(tensor([[0, 1], [1, 0], [2, 2]]), labels: [0, 1, 1], title: \"points\")",
        "contour(fn(v) => v[0] ** 2 + v[1] ** 2, paths: {gd: tensor([[1, 1], [0.5, 0.5], [0, 0]])}, resolution: 20, title: \"bowl\")",
        "heatmap(eye(3), title: \"identity\")",
        "hist(tensor([1, 2, 2, 3, 3, 3]), bins: 3, title: \"counts\")",
        "bar([\"a\", \"b\"], [1, 2], title: \"bars\")",
        "schedule_plot([step_lr(0.1, 5), cosine_lr(0.1, 20)], steps: 20, title: \"rates\")",
        "search_plot(random_search(fn(c) => c.x ** 2, {x: uniform(-1, 1)}, trials: 6, seed: 0, workers: 1), title: \"search\")",
    ])
    func everyKindIsWellFormedSVG(_ code: String) throws {
        let text = try svg(code)
        let document = try #require(parse(text), "not well-formed XML: \(code)")
        #expect(document.names.first == "svg")
        #expect(document.classes.contains("title") && document.classes.contains("tick") || document.classes.contains("heatmap"))
        let title = code.components(separatedBy: "title: \"").last!.components(separatedBy: "\"").first!
        #expect(document.text.contains(title))
    }

    /// A replicated curve is its mean line over a translucent band from the lower to the upper
    /// bound of its 95% interval, in the series' colour; a plain curve has no band.
    @Test func replicatedCurvesAreDrawnWithTheirBand() throws {
        let code = "plot({a: replicate(fn(s) => [1, 2 + s, 3], seeds: 3), b: [3, 2, 1]}, ylim: [-20, 20])"
        let text = try svg(code)
        let document = try #require(parse(text))
        #expect(document.classes.filter { $0 == "band" }.count == 1)
        #expect(document.classes.filter { $0 == "series" }.count == 2)
        #expect(text.contains("class=\"band\" data-name=\"a\""))
        let polygon = try #require(text.components(separatedBy: "<polygon").dropFirst().first)
        let points = polygon.components(separatedBy: "points=\"")[1].components(separatedBy: "\"")[0]
            .split(separator: " ").map { $0.split(separator: ",").map { Double($0)! } }
        #expect(points.count == 6, "three upper and three lower corners")
        // Upper bounds first (smaller y on the page), then the lower ones back: the middle step,
        // whose seeds vary, is the only one with a gap between its bounds.
        #expect(points[0][1] == points[5][1] && points[2][1] == points[3][1] && points[1][1] < points[4][1])
        let banded = try Interpreter(output: Output { _ in }).run(code, name: "plot.dsc").reprString
        let meanOnly = try Interpreter(output: Output { _ in }).run(
            "plot({a: replicate(fn(s) => [1, 2 + s, 3], seeds: 3).mean, b: [3, 2, 1]}, ylim: [-20, 20])", name: "plot.dsc").reprString
        #expect(banded != meanOnly && banded.contains("⠂"), "the terminal draws the band as single dots around the mean")
    }

    @Test func contourMarksStartEndAndLevels() throws {
        let document = try #require(parse(try svg("contour(fn(v) => v[0] ** 2 + v[1] ** 2, paths: [tensor([[1, 1], [0, 0]])], levels: 3, resolution: 20)")))
        #expect(document.classes.contains("start") && document.classes.contains("end"))
        #expect(document.classes.filter { $0 == "contour" }.count == 3)
    }
}
