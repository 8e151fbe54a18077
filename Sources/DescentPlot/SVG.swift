#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Draws a figure as a standalone SVG document: axes, ticks, grid, series, legend, title.
public struct SVGWriter {
    public var width = 640.0
    public var height = 400.0

    public init() {}

    public func document(_ figure: Figure) -> String {
        let panels = figure.panels.isEmpty ? [figure] : figure.panels
        let titleHeight = figure.panels.isEmpty || figure.title == nil ? 0.0 : 30
        let total = height * Double(panels.count) + titleHeight
        var out = """
        <?xml version="1.0" encoding="UTF-8"?>
        <svg xmlns="http://www.w3.org/2000/svg" width="\(number(width))" height="\(number(total))" viewBox="0 0 \(number(width)) \(number(total))" font-family="sans-serif" font-size="12">
        <rect width="100%" height="100%" fill="white"/>

        """
        if titleHeight > 0, let title = figure.title {
            out += "<text x=\"\(number(width / 2))\" y=\"20\" text-anchor=\"middle\" font-size=\"15\" class=\"title\">\(escape(title))</text>\n"
        }
        for (i, panel) in panels.enumerated() {
            out += "<g transform=\"translate(0 \(number(titleHeight + Double(i) * height)))\">\n" + body(panel) + "</g>\n"
        }
        return out + "</svg>\n"
    }

    private func body(_ figure: Figure) -> String {
        // About 7 px per character of a 12 px sans-serif label, so long series names stay inside the image.
        let longestName = legendEntries(figure).map { $0.1.count }.max()
        let legendWidth = longestName.map { min(260, max(110, 30 + 7 * Double($0))) } ?? 0
        let left = 64.0, right = 20.0 + legendWidth, top = figure.title == nil ? 16.0 : 36, bottom = 48.0
        let plotWidth = width - left - right, plotHeight = height - top - bottom
        let (xRange, yRange) = figure.ranges()
        func x(_ value: Double) -> Double { left + (value - xRange.lowerBound) / (xRange.upperBound - xRange.lowerBound) * plotWidth }
        func y(_ value: Double) -> Double { top + (1 - (value - yRange.lowerBound) / (yRange.upperBound - yRange.lowerBound)) * plotHeight }
        var out = ""
        if let title = figure.title {
            out += "<text x=\"\(number(left + plotWidth / 2))\" y=\"22\" text-anchor=\"middle\" font-size=\"14\" class=\"title\">\(escape(title))</text>\n"
        }
        out += "<defs><clipPath id=\"plot\"><rect x=\"\(number(left))\" y=\"\(number(top))\" width=\"\(number(plotWidth))\" height=\"\(number(plotHeight))\"/></clipPath></defs>\n"
        // Grid and ticks.
        let xTicks: [(Double, String)] = figure.kind == .bars ? figure.categories.enumerated().map { (Double($0), $1) }
            : figure.kind == .heatmap ? [] : niceTicks(xRange, count: 6).map { ($0, tickLabel($0)) }
        let yTicks = yTickPositions(figure, yRange, count: 5)
        for (value, label) in xTicks {
            out += "<line x1=\"\(number(x(value)))\" y1=\"\(number(top))\" x2=\"\(number(x(value)))\" y2=\"\(number(top + plotHeight))\" stroke=\"#eeeeee\"/>\n"
            out += "<text x=\"\(number(x(value)))\" y=\"\(number(top + plotHeight + 16))\" text-anchor=\"middle\" class=\"tick\">\(escape(label))</text>\n"
        }
        for value in yTicks {
            out += "<line x1=\"\(number(left))\" y1=\"\(number(y(value)))\" x2=\"\(number(left + plotWidth))\" y2=\"\(number(y(value)))\" stroke=\"#eeeeee\"/>\n"
            out += "<text x=\"\(number(left - 6))\" y=\"\(number(y(value) + 4))\" text-anchor=\"end\" class=\"tick\">\(escape(tickLabel(value, logScale: figure.logY)))</text>\n"
        }
        out += "<g clip-path=\"url(#plot)\">\n"
        if let grid = figure.grid {
            if figure.kind == .heatmap { out += heatmap(grid, x: x, y: y) }
            if figure.kind == .contour {
                for level in grid.levels {
                    let segments = contourSegments(grid, level: level)
                    guard !segments.isEmpty else { continue }
                    let path = segments.map { "M\(number(x($0.0.0))) \(number(y($0.0.1)))L\(number(x($0.1.0))) \(number(y($0.1.1)))" }.joined()
                    out += "<path class=\"contour\" d=\"\(path)\" stroke=\"#999999\" fill=\"none\" stroke-width=\"0.8\"/>\n"
                }
            }
        }
        for (index, series) in figure.series.enumerated() where figure.kind == .lines {
            guard let band = series.band else { continue }
            // A bound that a log axis cannot show (zero or below) is drawn at the bottom edge.
            func bound(_ value: Double) -> Double {
                let position = y(figure.transformY(value))
                return position.isFinite ? min(max(position, top), top + plotHeight) : top + plotHeight
            }
            let upper = zip(series.xs, band.upper).filter { $0.0.isFinite }.map { (x($0.0), bound($0.1)) }
            let lower = zip(series.xs, band.lower).filter { $0.0.isFinite }.map { (x($0.0), bound($0.1)) }
            guard !upper.isEmpty else { continue }
            let outline = (upper + lower.reversed()).map { "\(number($0.0)),\(number($0.1))" }.joined(separator: " ")
            out += "<polygon class=\"band\" data-name=\"\(escape(series.name))\" points=\"\(outline)\" fill=\"\(svgColors[index % svgColors.count])\" fill-opacity=\"0.2\" stroke=\"none\"/>\n"
        }
        for (index, series) in figure.series.enumerated() {
            let color = svgColors[index % svgColors.count]
            let points = zip(series.xs, series.ys).map { (x($0), y(figure.transformY($1))) }.filter { $0.0.isFinite && $0.1.isFinite }
            let name = escape(series.name)
            switch figure.kind {
            case .lines, .contour:
                let list = points.map { "\(number($0.0)),\(number($0.1))" }.joined(separator: " ")
                out += "<polyline class=\"series\" data-name=\"\(name)\" points=\"\(list)\" fill=\"none\" stroke=\"\(color)\" stroke-width=\"1.8\"/>\n"
                if figure.kind == .contour, let first = points.first, let last = points.last {
                    out += "<circle cx=\"\(number(first.0))\" cy=\"\(number(first.1))\" r=\"4\" fill=\"white\" stroke=\"\(color)\" stroke-width=\"2\" class=\"start\"/>\n"
                    out += "<path d=\"M\(number(last.0 - 4)) \(number(last.1 - 4))L\(number(last.0 + 4)) \(number(last.1 + 4))M\(number(last.0 - 4)) \(number(last.1 + 4))L\(number(last.0 + 4)) \(number(last.1 - 4))\" stroke=\"\(color)\" stroke-width=\"2\" class=\"end\"/>\n"
                }
            case .points:
                out += "<g class=\"series\" data-name=\"\(name)\" fill=\"\(color)\">"
                out += points.map { "<circle cx=\"\(number($0.0))\" cy=\"\(number($0.1))\" r=\"2.5\"/>" }.joined()
                out += "</g>\n"
            case .bars:
                let barWidth = plotWidth / Double(max(figure.categories.count, 1)) * 0.7
                out += "<g class=\"series\" data-name=\"\(name)\" fill=\"\(color)\">"
                let zero = y(max(0, yRange.lowerBound))
                out += points.map { "<rect x=\"\(number($0.0 - barWidth / 2))\" y=\"\(number(min($0.1, zero)))\" width=\"\(number(barWidth))\" height=\"\(number(Swift.abs(zero - $0.1)))\"/>" }.joined()
                out += "</g>\n"
            case .heatmap:
                break
            }
        }
        out += "</g>\n"
        // Axes and labels.
        out += "<rect x=\"\(number(left))\" y=\"\(number(top))\" width=\"\(number(plotWidth))\" height=\"\(number(plotHeight))\" fill=\"none\" stroke=\"#333333\"/>\n"
        if let xLabel = figure.xLabel {
            out += "<text x=\"\(number(left + plotWidth / 2))\" y=\"\(number(height - 10))\" text-anchor=\"middle\" class=\"xlabel\">\(escape(xLabel))</text>\n"
        }
        if let yLabel = figure.yLabel {
            out += "<text x=\"14\" y=\"\(number(top + plotHeight / 2))\" text-anchor=\"middle\" transform=\"rotate(-90 14 \(number(top + plotHeight / 2)))\" class=\"ylabel\">\(escape(yLabel))</text>\n"
        }
        let entries = legendEntries(figure)
        if !entries.isEmpty {
            let legendX = left + plotWidth + 12
            out += "<g class=\"legend\">\n"
            for (row, (index, name)) in entries.enumerated() {
                let rowY = top + 8 + Double(row) * 18
                out += "<rect x=\"\(number(legendX))\" y=\"\(number(rowY - 8))\" width=\"12\" height=\"10\" fill=\"\(svgColors[index % svgColors.count])\"/>"
                out += "<text x=\"\(number(legendX + 18))\" y=\"\(number(rowY + 1))\">\(escape(name))</text>\n"
            }
            out += "</g>\n"
        }
        return out
    }

    private func legendEntries(_ figure: Figure) -> [(Int, String)] {
        guard figure.kind != .bars, figure.kind != .heatmap else { return [] }
        let named = figure.series.enumerated().filter { !$0.element.name.isEmpty }.map { ($0.offset, $0.element.name) }
        return named.count > 1 || (named.count == 1 && figure.kind == .contour) ? named : []
    }

    private func heatmap(_ grid: Figure.Grid, x: (Double) -> Double, y: (Double) -> Double) -> String {
        let rows = grid.values.count, columns = grid.values.first?.count ?? 0
        let values = grid.values.flatMap { $0 }.filter(\.isFinite)
        guard rows > 0, columns > 0, let low = values.min(), let high = values.max() else { return "" }
        let cellWidth = (grid.xRange.upperBound - grid.xRange.lowerBound) / Double(columns)
        let cellHeight = (grid.yRange.upperBound - grid.yRange.lowerBound) / Double(rows)
        var out = "<g class=\"heatmap\">"
        for r in 0..<rows {
            for c in 0..<columns where grid.values[r][c].isFinite {
                let t = high > low ? (grid.values[r][c] - low) / (high - low) : 1
                let x0 = x(grid.xRange.lowerBound + Double(c) * cellWidth), x1 = x(grid.xRange.lowerBound + Double(c + 1) * cellWidth)
                let y0 = y(grid.yRange.lowerBound + Double(r + 1) * cellHeight), y1 = y(grid.yRange.lowerBound + Double(r) * cellHeight)
                out += "<rect x=\"\(number(x0))\" y=\"\(number(y0))\" width=\"\(number(x1 - x0 + 0.5))\" height=\"\(number(y1 - y0 + 0.5))\" fill=\"\(shade(t))\"/>"
            }
        }
        return out + "</g>\n"
    }

    /// From dark blue through teal to yellow, as viridis.
    private func shade(_ t: Double) -> String {
        let stops: [(Double, Double, Double)] = [(68, 1, 84), (59, 82, 139), (33, 145, 140), (94, 201, 98), (253, 231, 37)]
        let position = min(max(t, 0), 1) * Double(stops.count - 1)
        let i = min(Int(position), stops.count - 2), f = position - Double(i)
        let a = stops[i], b = stops[i + 1]
        func channel(_ x: Double, _ y: Double) -> String {
            let value = Int((x + (y - x) * f).rounded())
            let hex = String(value, radix: 16)
            return hex.count == 1 ? "0" + hex : hex
        }
        return "#" + channel(a.0, b.0) + channel(a.1, b.1) + channel(a.2, b.2)
    }
}

private func number(_ x: Double) -> String {
    guard x.isFinite else { return "0" }
    let rounded = (x * 100).rounded() / 100
    return rounded == rounded.rounded() ? String(Int(rounded)) : "\(rounded)"
}

/// Text made safe inside XML.
func escape(_ text: String) -> String {
    var out = ""
    for character in text {
        switch character {
        case "&": out += "&amp;"
        case "<": out += "&lt;"
        case ">": out += "&gt;"
        case "\"": out += "&quot;"
        default: out.append(character)
        }
    }
    return out
}
