#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Series colours: ANSI codes for the terminal, hex for SVG (the same hues).
let ansiColors = [34, 31, 32, 35, 36, 33]
let svgColors = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#17becf", "#bcbd22"]

/// Draws a figure with Unicode braille (2 x 4 dots per character), shading blocks for
/// heatmaps, box-drawing axes with tick labels, a legend, and ANSI colours when asked.
public struct TerminalRenderer {
    public var width: Int
    public var height: Int
    public var color: Bool

    public init(width: Int = 80, height: Int = 16, color: Bool = false) {
        self.width = max(width, 30); self.height = max(height, 4); self.color = color
    }

    public func render(_ figure: Figure) -> String {
        if !figure.panels.isEmpty {
            var parts: [String] = []
            if let title = figure.title { parts.append(centered(title, width)) }
            parts += figure.panels.map { render($0) }
            return parts.joined(separator: "\n\n")
        }
        let (xRange, yRange) = figure.ranges()
        let yTicks = yTickPositions(figure, yRange, count: max(2, height / 4))
        let yLabels = yTicks.map { tickLabel($0, logScale: figure.logY) }
        let labelWidth = max(yLabels.map(\.count).max() ?? 1, 1)
        let plotWidth = max(width - labelWidth - 2, 10)
        var canvas = Canvas(columns: plotWidth, rows: height)

        func dotX(_ x: Double) -> Double { (x - xRange.lowerBound) / (xRange.upperBound - xRange.lowerBound) * Double(plotWidth * 2 - 1) }
        func dotY(_ y: Double) -> Double { (1 - (y - yRange.lowerBound) / (yRange.upperBound - yRange.lowerBound)) * Double(height * 4 - 1) }

        switch figure.kind {
        case .heatmap:
            if let grid = figure.grid { canvas.shade(grid) }
        case .contour:
            if let grid = figure.grid { canvas.contour(grid, color: 90) }
        default: break
        }
        // Bands first, lighter than lines: one dot of each character cell's eight inside the bounds.
        for (index, series) in figure.series.enumerated() where figure.kind == .lines {
            guard let band = series.band else { continue }
            let hue = ansiColors[index % ansiColors.count]
            let bottom = Double(height * 4 - 1)
            func bound(_ y: Double) -> Double {
                let dot = dotY(figure.transformY(y))
                return dot.isFinite ? min(max(dot, 0), bottom) : bottom
            }
            let edges = zip(series.xs, zip(band.lower, band.upper)).map { (x: dotX($0), low: bound($1.0), high: bound($1.1)) }
            for (a, b) in zip(edges, edges.dropFirst()) where a.x.isFinite && b.x.isFinite {
                let first = Int(min(a.x, b.x).rounded(.up)), last = Int(max(a.x, b.x).rounded(.down))
                guard first <= last, last - first < 100_000 else { continue }
                for column in first...last {
                    let t = b.x == a.x ? 0 : (Double(column) - a.x) / (b.x - a.x)
                    let low = a.low + (b.low - a.low) * t, high = a.high + (b.high - a.high) * t
                    for row in Int(min(low, high).rounded())...Int(max(low, high).rounded()) where row % 4 == 1 && column % 2 == 0 {
                        canvas.dot((Double(column), Double(row)), color: hue)
                    }
                }
            }
        }
        for (index, series) in figure.series.enumerated() {
            let hue = ansiColors[index % ansiColors.count]
            let points = zip(series.xs, series.ys).map { (dotX($0), dotY(figure.transformY($1))) }
            switch figure.kind {
            case .lines, .contour:
                for (a, b) in zip(points, points.dropFirst()) { canvas.line(from: a, to: b, color: hue) }
                if points.count == 1 { canvas.dot(points[0], color: hue) }
                if figure.kind == .contour, let first = points.first, let last = points.last {
                    canvas.mark(first, "o", color: hue)
                    canvas.mark(last, "x", color: hue)
                }
            case .points:
                for point in points { canvas.dot(point, color: hue) }
            case .bars:
                let zero = dotY(max(0, yRange.lowerBound))
                let span = max(1, Int(Double(plotWidth * 2) / Double(max(figure.categories.count, 1)) * 0.35))
                for point in points {
                    for x in (Int(point.0.rounded()) - span)...(Int(point.0.rounded()) + span) {
                        canvas.line(from: (Double(x), zero), to: (Double(x), point.1), color: hue)
                    }
                }
            case .heatmap:
                break
            }
        }

        var lines: [String] = []
        if let title = figure.title { lines.append(String(repeating: " ", count: labelWidth + 2) + centered(title, plotWidth)) }
        if let yLabel = figure.yLabel { lines.append(yLabel) }
        let tickRows = Dictionary(yTicks.enumerated().map { (Int((dotY($1) / 4).rounded()), yLabels[$0]) }, uniquingKeysWith: { a, _ in a })
        for row in 0..<height {
            let label = tickRows[row].map { String(repeating: " ", count: labelWidth - $0.count) + $0 + " ┤" }
                ?? String(repeating: " ", count: labelWidth) + " │"
            lines.append(label + canvas.render(row: row, color: color))
        }
        lines += xAxis(figure, xRange, labelWidth: labelWidth, plotWidth: plotWidth, dotX: dotX)
        if let xLabel = figure.xLabel { lines.append(String(repeating: " ", count: labelWidth + 2) + centered(xLabel, plotWidth)) }
        let named = figure.series.enumerated().filter { !$0.element.name.isEmpty }
        if figure.kind != .bars, named.count > 1 || (named.count == 1 && figure.kind == .contour) {
            let entries = named.map { index, series -> String in
                let marker = paint("●", ansiColors[index % ansiColors.count])
                return marker + " " + series.name
            }
            lines.append(String(repeating: " ", count: labelWidth + 2) + entries.joined(separator: "  "))
        }
        return lines.map { $0.trimmingTrailingSpaces() }.joined(separator: "\n")
    }

    private func paint(_ text: String, _ code: Int) -> String { color ? "\u{1B}[\(code)m\(text)\u{1B}[0m" : text }

    private func xAxis(_ figure: Figure, _ xRange: ClosedRange<Double>, labelWidth: Int, plotWidth: Int,
                       dotX: (Double) -> Double) -> [String] {
        var axis = Array(repeating: Character("─"), count: plotWidth)
        var labels = Array(repeating: Character(" "), count: plotWidth + 12)
        let ticks: [(Double, String)]
        if figure.kind == .bars {
            ticks = figure.categories.enumerated().map { (Double($0), $1) }
        } else if figure.kind == .heatmap {
            ticks = []
        } else {
            ticks = niceTicks(xRange, count: max(2, plotWidth / 12)).map { ($0, tickLabel($0)) }
        }
        var lastEnd = -1
        for (value, label) in ticks {
            let column = Int((dotX(value) / 2).rounded())
            guard column >= 0, column < plotWidth else { continue }
            axis[column] = "┬"
            let start = max(0, min(column - label.count / 2, plotWidth + 12 - label.count))
            guard start > lastEnd else { continue }
            for (i, character) in label.enumerated() where start + i < labels.count { labels[start + i] = character }
            lastEnd = start + label.count
        }
        let margin = String(repeating: " ", count: labelWidth)
        let labelLine = margin + "  " + String(labels)
        return [margin + " └" + String(axis)] + (ticks.isEmpty ? [] : [labelLine])
    }
}

private func centered(_ text: String, _ width: Int) -> String {
    String(repeating: " ", count: max(0, (width - text.count) / 2)) + text
}

extension String {
    func trimmingTrailingSpaces() -> String {
        var text = self
        while text.last == " " { text.removeLast() }
        return text
    }
}

/// Braille cells with a colour each, plus whole-character glyphs (shading, markers).
struct Canvas {
    let columns: Int, rows: Int
    var bits: [UInt8]
    var colors: [Int]
    var glyphs: [Character?]

    init(columns: Int, rows: Int) {
        self.columns = columns; self.rows = rows
        bits = Array(repeating: 0, count: columns * rows)
        colors = Array(repeating: 0, count: columns * rows)
        glyphs = Array(repeating: nil, count: columns * rows)
    }

    private static let dotBits: [[UInt8]] = [[0x01, 0x08], [0x02, 0x10], [0x04, 0x20], [0x40, 0x80]]

    mutating func dot(_ point: (Double, Double), color: Int) {
        guard point.0.isFinite, point.1.isFinite, Swift.abs(point.0) < 1e9, Swift.abs(point.1) < 1e9 else { return }
        let x = Int(point.0.rounded()), y = Int(point.1.rounded())
        guard x >= 0, y >= 0, x < columns * 2, y < rows * 4 else { return }
        let cell = (y / 4) * columns + x / 2
        bits[cell] |= Canvas.dotBits[y % 4][x % 2]
        colors[cell] = color
    }

    mutating func line(from a: (Double, Double), to b: (Double, Double), color: Int) {
        guard a.0.isFinite, a.1.isFinite, b.0.isFinite, b.1.isFinite else { return }
        let steps = Int(max(Swift.abs(b.0 - a.0), Swift.abs(b.1 - a.1)).rounded(.up))
        guard steps < 100_000 else { return }
        for i in 0...max(steps, 0) {
            let t = steps == 0 ? 0 : Double(i) / Double(steps)
            dot((a.0 + (b.0 - a.0) * t, a.1 + (b.1 - a.1) * t), color: color)
        }
    }

    mutating func mark(_ point: (Double, Double), _ glyph: Character, color: Int) {
        guard point.0.isFinite, point.1.isFinite, Swift.abs(point.0) < 1e9, Swift.abs(point.1) < 1e9 else { return }
        let x = Int(point.0.rounded()) / 2, y = Int(point.1.rounded()) / 4
        guard x >= 0, y >= 0, x < columns, y < rows else { return }
        glyphs[y * columns + x] = glyph
        colors[y * columns + x] = color
    }

    /// Heatmap: one shading character per cell, from the grid's value there.
    mutating func shade(_ grid: Figure.Grid) {
        let values = grid.values.flatMap { $0 }.filter(\.isFinite)
        guard let low = values.min(), let high = values.max() else { return }
        let ramp: [Character] = [" ", "░", "▒", "▓", "█"]
        let gridRows = grid.values.count, gridColumns = grid.values.first?.count ?? 0
        for row in 0..<rows {
            for column in 0..<columns {
                // Each matrix cell covers an equal share of the characters.
                let r = min(gridRows - 1, (rows - 1 - row) * gridRows / rows), c = min(gridColumns - 1, column * gridColumns / columns)
                let value = grid.values[r][c]
                guard value.isFinite else { continue }
                let level = high > low ? Int(((value - low) / (high - low) * Double(ramp.count - 1)).rounded()) : ramp.count - 1
                glyphs[row * columns + column] = ramp[level]
            }
        }
    }

    /// Contour lines: the dots where the level band changes between neighbours.
    mutating func contour(_ grid: Figure.Grid, color: Int) {
        let width = columns * 2, height = rows * 4
        guard !grid.levels.isEmpty else { return }
        var bands = [Int](repeating: 0, count: width * height)
        for y in 0..<height {
            for x in 0..<width {
                let value = sample(grid, row: Double(height - 1 - y) / Double(height - 1), column: Double(x) / Double(width - 1))
                bands[y * width + x] = value.isFinite ? grid.levels.filter { $0 <= value }.count : -1
            }
        }
        for y in 0..<height {
            for x in 0..<width {
                let band = bands[y * width + x]
                let right = x + 1 < width ? bands[y * width + x + 1] : band
                let below = y + 1 < height ? bands[(y + 1) * width + x] : band
                if band >= 0 && (band != right || band != below) { dot((Double(x), Double(y)), color: color) }
            }
        }
    }

    /// The grid's value at fractional position (row from the bottom, column from the left),
    /// interpolated between the four samples around it, so that contour lines come out smooth.
    private func sample(_ grid: Figure.Grid, row: Double, column: Double) -> Double {
        let rows = grid.values.count, columns = grid.values.first?.count ?? 0
        guard rows > 1, columns > 1 else { return grid.values.first?.first ?? .nan }
        let r = min(max(row, 0), 1) * Double(rows - 1), c = min(max(column, 0), 1) * Double(columns - 1)
        let r0 = min(Int(r), rows - 2), c0 = min(Int(c), columns - 2)
        let fr = r - Double(r0), fc = c - Double(c0)
        let bottom = grid.values[r0][c0] * (1 - fc) + grid.values[r0][c0 + 1] * fc
        let top = grid.values[r0 + 1][c0] * (1 - fc) + grid.values[r0 + 1][c0 + 1] * fc
        return bottom * (1 - fr) + top * fr
    }

    func render(row: Int, color: Bool) -> String {
        var out = ""
        var current = 0
        for column in 0..<columns {
            let cell = row * columns + column
            // trap-ok: braille patterns U+2800-U+28FF are valid scalars
            let character: Character = glyphs[cell] ?? (bits[cell] == 0 ? " " : Character(Unicode.Scalar(0x2800 + UInt32(bits[cell]))!))
            let wanted = character == " " ? 0 : colors[cell]
            if color && wanted != current {
                out += current == 0 || wanted != 0 ? "\u{1B}[\(wanted == 0 ? 0 : wanted)m" : "\u{1B}[0m"
                current = wanted
            }
            out.append(character)
        }
        if color && current != 0 { out += "\u{1B}[0m" }
        return out
    }
}
