#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A plot as data, knowing nothing of the language or the terminal: what to draw, in data
/// coordinates. `TerminalCanvas` and `SVGWriter` draw the same figure.
public struct Figure: Sendable {
    public enum Kind: Sendable { case lines, points, bars, heatmap, contour }

    public struct Series: Sendable {
        public var name: String
        public var xs: [Double]
        public var ys: [Double]
        /// A shaded band around a line (a replicated curve's 95% interval), one bound per x.
        public var band: (lower: [Double], upper: [Double])?
        public init(name: String, xs: [Double], ys: [Double], band: (lower: [Double], upper: [Double])? = nil) {
            self.name = name; self.xs = xs; self.ys = ys; self.band = band
        }
    }

    /// A function sampled on a grid, for heatmaps and contour plots: values[row][column], row 0 at
    /// the bottom (smallest y).
    public struct Grid: Sendable {
        public var values: [[Double]]
        public var xRange: ClosedRange<Double>
        public var yRange: ClosedRange<Double>
        public var levels: [Double]
        public init(values: [[Double]], xRange: ClosedRange<Double>, yRange: ClosedRange<Double>, levels: [Double]) {
            self.values = values; self.xRange = xRange; self.yRange = yRange; self.levels = levels
        }
    }

    public var kind: Kind
    public var series: [Series]
    public var title: String?
    public var xLabel: String?
    public var yLabel: String?
    public var logY = false
    public var xLimits: ClosedRange<Double>?
    public var yLimits: ClosedRange<Double>?
    public var grid: Grid?
    /// Category names under bars.
    public var categories: [String] = []
    /// Panels drawn one under another (search_plot); when set, this figure is only a container.
    public var panels: [Figure] = []

    public init(kind: Kind, series: [Series], title: String? = nil) {
        self.kind = kind; self.series = series; self.title = title
    }

    func transformY(_ y: Double) -> Double { logY ? log10(y) : y }

    /// The data ranges to draw: the limits given, else the extent of the data (padded when flat).
    func ranges() -> (x: ClosedRange<Double>, y: ClosedRange<Double>) {
        if let grid, kind == .heatmap || kind == .contour {
            return (xLimits ?? grid.xRange, yLimits ?? grid.yRange)
        }
        var xs = series.flatMap(\.xs).filter(\.isFinite)
        var ys = series.flatMap { $0.ys.map(transformY) }.filter(\.isFinite)
        ys += series.flatMap { ($0.band.map { $0.lower + $0.upper } ?? []).map(transformY) }.filter(\.isFinite)
        if kind == .bars { xs = [-0.5, Double(max(categories.count, 1)) - 0.5]; ys.append(0) }
        func padded(_ values: [Double]) -> ClosedRange<Double> {
            guard let low = values.min(), let high = values.max() else { return 0...1 }
            if low == high { return (low - 1)...(high + 1) }
            return low...high
        }
        // Points on the edge of the data range would be cut in half by the frame; a margin keeps them whole.
        func margined(_ range: ClosedRange<Double>) -> ClosedRange<Double> {
            guard kind == .points else { return range }
            let margin = (range.upperBound - range.lowerBound) * 0.04
            return (range.lowerBound - margin)...(range.upperBound + margin)
        }
        let y = yLimits.map { logY ? log10(max($0.lowerBound, 1e-300))...log10(max($0.upperBound, 1e-300)) : $0 } ?? margined(padded(ys))
        return (xLimits ?? margined(padded(xs)), y)
    }
}

/// Tick positions at 1, 2 or 5 times a power of ten, about `count` of them (Heckbert's nice numbers).
public func niceTicks(_ range: ClosedRange<Double>, count: Int) -> [Double] {
    let span = range.upperBound - range.lowerBound
    guard span > 0, span.isFinite, count > 0 else { return [range.lowerBound] }
    let rough = span / Double(count)
    let magnitude = pow(10, (log10(rough)).rounded(.down))
    let step = [1.0, 2, 5, 10].map { $0 * magnitude }.first { $0 >= rough } ?? 10 * magnitude
    var ticks: [Double] = []
    var tick = (range.lowerBound / step).rounded(.up) * step
    while tick <= range.upperBound + step * 1e-9 {
        ticks.append(Swift.abs(tick) < step * 1e-9 ? 0 : tick)
        tick += step
    }
    return ticks
}

/// Tick positions on a log axis, in log10 units: whole decades over a wide range, 1-2-5 steps within
/// a narrower one, and plain nice numbers when the range is a fraction of a decade.
public func logTicks(_ range: ClosedRange<Double>, count: Int) -> [Double] {
    let span = range.upperBound - range.lowerBound
    guard span > 0, span.isFinite else { return [range.lowerBound] }
    if span >= 2 { return niceTicks(range, count: count).filter { $0 == $0.rounded() } }
    var ticks: [Double] = []
    for decade in Int(range.lowerBound.rounded(.down))...Int(range.upperBound.rounded(.up)) {
        for mantissa in [1.0, 2, 5] {
            let position = Double(decade) + log10(mantissa)
            if range.contains(position) { ticks.append(position) }
        }
    }
    if ticks.count >= 2 { return ticks }
    return niceTicks(pow(10, range.lowerBound)...pow(10, range.upperBound), count: count).filter { $0 > 0 }.map(log10)
}

/// Ticks for the y axis: nice numbers, or `logTicks` on a log axis.
func yTickPositions(_ figure: Figure, _ range: ClosedRange<Double>, count: Int) -> [Double] {
    if figure.kind == .heatmap { return [] }
    return figure.logY ? logTicks(range, count: count) : niceTicks(range, count: count)
}

/// A tick label: short, no trailing zeros (0.25, 1e-04, 1500).
public func tickLabel(_ value: Double, logScale: Bool = false) -> String {
    let x = logScale ? pow(10, value) : value
    if x == 0 { return "0" }
    let magnitude = Swift.abs(x)
    if magnitude >= 1e5 || magnitude < 1e-3 {
        let exponent = Int(log10(magnitude).rounded(.down))
        let mantissa = x / pow(10, Double(exponent))
        let rounded = (mantissa * 100).rounded() / 100
        let m = rounded == rounded.rounded() ? String(Int(rounded)) : "\(rounded)"
        return "\(m)e\(exponent)"
    }
    let rounded = (x * 1e6).rounded() / 1e6
    if rounded == rounded.rounded() { return String(Int64(rounded)) }
    var text = "\(rounded)"
    while text.hasSuffix("0") { text.removeLast() }
    return text
}

/// Contour segments of `grid` at `level`, by marching squares, in data coordinates.
func contourSegments(_ grid: Figure.Grid, level: Double) -> [((Double, Double), (Double, Double))] {
    let rows = grid.values.count, columns = grid.values.first?.count ?? 0
    guard rows > 1, columns > 1 else { return [] }
    func point(_ row: Double, _ column: Double) -> (Double, Double) {
        (grid.xRange.lowerBound + (grid.xRange.upperBound - grid.xRange.lowerBound) * column / Double(columns - 1),
         grid.yRange.lowerBound + (grid.yRange.upperBound - grid.yRange.lowerBound) * row / Double(rows - 1))
    }
    var segments: [((Double, Double), (Double, Double))] = []
    for r in 0..<(rows - 1) {
        for c in 0..<(columns - 1) {
            let corners = [grid.values[r][c], grid.values[r][c + 1], grid.values[r + 1][c + 1], grid.values[r + 1][c]]
            guard corners.allSatisfy(\.isFinite) else { continue }
            // Edge crossings: bottom, right, top, left.
            let edges: [((Double, Double), (Double, Double), Double, Double)] = [
                ((Double(r), Double(c)), (Double(r), Double(c + 1)), corners[0], corners[1]),
                ((Double(r), Double(c + 1)), (Double(r + 1), Double(c + 1)), corners[1], corners[2]),
                ((Double(r + 1), Double(c + 1)), (Double(r + 1), Double(c)), corners[2], corners[3]),
                ((Double(r + 1), Double(c)), (Double(r), Double(c)), corners[3], corners[0]),
            ]
            var crossings: [(Double, Double)] = []
            for (a, b, va, vb) in edges where (va < level) != (vb < level) {
                let t = (level - va) / (vb - va)
                crossings.append(point(a.0 + (b.0 - a.0) * t, a.1 + (b.1 - a.1) * t))
            }
            if crossings.count == 2 { segments.append((crossings[0], crossings[1])) }
            if crossings.count == 4 { segments += [(crossings[0], crossings[1]), (crossings[2], crossings[3])] }
        }
    }
    return segments
}
