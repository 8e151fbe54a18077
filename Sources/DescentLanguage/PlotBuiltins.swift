import DescentData
import DescentPlot
import DescentTensor

// Plots as values: drawn in the terminal when shown, written as SVG by `save:` or `p.save(path)`.

final class PlotObject: NativeObject {
    let figure: Figure
    let width: Int
    let color: Bool

    init(_ figure: Figure, width: Int, color: Bool) { self.figure = figure; self.width = width; self.color = color }

    override var typeName: String { "plot" }
    override func describe() -> String { TerminalRenderer(width: width, height: 16, color: color).render(figure) }
    override var fieldNames: [String] { ["save", "svg"] }
    override func field(_ name: String) -> Value? {
        switch name {
        case "svg": .str(SVGWriter().document(figure))
        case "save":
            .function(BuiltinFunction("save(path)", shownAs: "plot.save(path)", category: "Plots", "", example: "") { [self] args in
                try save(to: try args.string(0), args)
                return .nil
            })
        default: nil
        }
    }

    func save(to path: String, _ args: Arguments) throws {
        guard args.ip.allowsFileWrites else { throw args.error("writing files is turned off in this session") }
        do { try CSVFile.writeText(SVGWriter().document(figure), path: path) } catch let error as Datasets.Failure {
            throw args.error(error.message)
        }
    }
}

/// Numbers from a tensor, list or range, for plotting.
private func plotNumbers(_ value: Value, _ args: Arguments, _ index: Int) throws -> [Double] {
    switch value {
    case .object(let range as RangeObject): return (0..<range.count).map { range[$0] }
    default:
        do { return try makeTensor(value).elements } catch {
            throw args.error("\(args.function.name)() expects numbers (a tensor or list), got \(value.typeName)", argument: index)
        }
    }
}

/// A line's y values, with the 95% band of a replicated curve (`replicate` of a loss curve).
private func plotLine(_ value: Value, _ args: Arguments, _ index: Int) throws -> (ys: [Double], band: (lower: [Double], upper: [Double])?) {
    guard case .object(let replicates as ReplicatesObject) = value else { return (try plotNumbers(value, args, index), nil) }
    guard let shape = replicates.shape, shape.count == 1 else {
        let what = replicates.shape.map { "a tensor of shape \(describe($0))" } ?? "one number"
        throw args.error("\(args.function.name)() draws replicates of a curve (one number per step, per seed); these hold \(what) per seed", argument: index)
    }
    return (replicates.summaries.map(\.mean), (replicates.summaries.map(\.low), replicates.summaries.map(\.high)))
}

/// Applies the common options (title, axis labels, limits) and `save:`; returns the plot.
private func finish(_ figure: Figure, _ args: Arguments, options: [String: Int]) throws -> Value {
    var figure = figure
    func text(_ name: String) throws -> String? {
        guard let index = options[name], !args[index].isNil else { return nil }
        return try args.string(index)
    }
    func limits(_ name: String) throws -> ClosedRange<Double>? {
        guard let index = options[name], !args[index].isNil else { return nil }
        let pair = try plotNumbers(args[index], args, index)
        guard pair.count == 2, pair[0] < pair[1] else { throw args.error("\(args.function.name)(): \(name) must be [low, high] with low < high", argument: index) }
        return pair[0]...pair[1]
    }
    figure.title = try text("title") ?? figure.title
    figure.xLabel = try text("xlabel") ?? figure.xLabel
    figure.yLabel = try text("ylabel") ?? figure.yLabel
    figure.xLimits = try limits("xlim") ?? figure.xLimits
    figure.yLimits = try limits("ylim") ?? figure.yLimits
    if let index = options["logy"] { figure.logY = args[index].isTruthy }
    let plot = PlotObject(figure, width: args.ip.plotWidth, color: args.ip.plotColor)
    if let index = options["save"], !args[index].isNil { try plot.save(to: try args.string(index), args) }
    return .object(plot)
}

/// The positions of the common options in a signature.
private func optionPositions(_ args: Arguments) -> [String: Int] {
    Dictionary(uniqueKeysWithValues: args.function.parameters.enumerated().map { ($1.name, $0) })
}

/// Points of an optimizer's path: a tensor [steps, 2] or minimize()'s record (its `points`).
private func path(_ value: Value, _ args: Arguments, _ index: Int) throws -> ([Double], [Double]) {
    var source = value
    if case .record(let record) = value, let points = record.fields["points"] { source = points }
    let tensor: Tensor
    do { tensor = try makeTensor(source) } catch { throw args.error("\(args.function.name)(): a path must be a tensor of [x, y] points or minimize()'s result", argument: index) }
    guard tensor.rank == 2, tensor.shape[1] == 2 else {
        throw args.error("\(args.function.name)(): a path must have shape [steps, 2], got \(describe(tensor.shape))", argument: index)
    }
    let values = tensor.elements
    return (stride(from: 0, to: values.count, by: 2).map { values[$0] }, stride(from: 1, to: values.count, by: 2).map { values[$0] })
}

extension Builtins {
    static var plots: [BuiltinFunction] {
        let category = "Plots"
        let common = "title: nil, xlabel: nil, ylabel: nil, save: nil"
        return [
            define("plot(a, b: nil, \(common), logy: false, xlim: nil, ylim: nil)", category,
                   "A line plot of y, of y against x (plot(x, y)), or of several named series ({constant: h1.loss, cosine: h2.loss}, or records of x and of y values with the same names) with a legend. A replicated curve (replicate of a loss curve) is drawn as its mean with its 95% interval shaded. Shown in the terminal; save: \"file.svg\" writes SVG.",
                   example: "type(plot([1, 4, 9]))") { args in
                var series: [Figure.Series] = []
                switch (args[0], args[1]) {
                case (.record(let record), .nil):
                    for (name, value) in record.fields {
                        let (ys, band) = try plotLine(value, args, 0)
                        series.append(.init(name: name, xs: ys.indices.map(Double.init), ys: ys, band: band))
                    }
                case (_, .nil):
                    let (ys, band) = try plotLine(args[0], args, 0)
                    series.append(.init(name: "", xs: ys.indices.map(Double.init), ys: ys, band: band))
                case (.record(let xRecord), .record(let yRecord)):
                    for (name, value) in yRecord.fields {
                        guard let xValue = xRecord.fields[name] else {
                            throw args.error("plot(x, y): series '\(name)' has y values but no x values; x has \(xRecord.fields.keys.joined(separator: ", "))", argument: 0)
                        }
                        let xs = try plotNumbers(xValue, args, 0), (ys, band) = try plotLine(value, args, 1)
                        guard xs.count == ys.count else { throw args.error("plot(x, y): series '\(name)' has \(xs.count) x and \(ys.count) y values", argument: 1) }
                        series.append(.init(name: name, xs: xs, ys: ys, band: band))
                    }
                default:
                    let xs = try plotNumbers(args[0], args, 0), (ys, band) = try plotLine(args[1], args, 1)
                    guard xs.count == ys.count else { throw args.error("plot(x, y) needs as many x as y values: \(xs.count) and \(ys.count)", argument: 1) }
                    series.append(.init(name: "", xs: xs, ys: ys, band: band))
                }
                return try finish(Figure(kind: .lines, series: series), args, options: optionPositions(args))
            },
            define("scatter(X, Y: nil, labels: nil, \(common))", category,
                   "Points: the rows of X ([n, 2]) or X against Y, one colour per label (numbers or names).",
                   example: "type(scatter(tensor([[0, 1], [1, 0]]), labels: [0, 1]))") { args in
                var xs: [Double], ys: [Double]
                if args[1].isNil {
                    let points = try makeTensor(args[0])
                    guard points.rank == 2, points.shape[1] == 2 else { throw args.error("scatter(X) needs X of shape [n, 2], got \(describe(points.shape)); or use scatter(x, y)", argument: 0) }
                    let values = points.elements
                    xs = stride(from: 0, to: values.count, by: 2).map { values[$0] }
                    ys = stride(from: 1, to: values.count, by: 2).map { values[$0] }
                } else {
                    xs = try plotNumbers(args[0], args, 0); ys = try plotNumbers(args[1], args, 1)
                }
                var series: [Figure.Series] = []
                if args[2].isNil {
                    series = [.init(name: "", xs: xs, ys: ys)]
                } else {
                    let (names, order) = try scatterLabels(args[2], args)
                    guard names.count == xs.count else { throw args.error("scatter(): one label per point: \(xs.count) points and \(names.count) labels", argument: 2) }
                    for label in order {
                        let chosen = names.indices.filter { names[$0] == label }
                        series.append(.init(name: label, xs: chosen.map { xs[$0] }, ys: chosen.map { ys[$0] }))
                    }
                }
                return try finish(Figure(kind: .points, series: series), args, options: optionPositions(args))
            },
            define("contour(f, xlim: [-2, 2], ylim: [-2, 2], paths: nil, levels: 8, \(common), resolution: 60)", category,
                   "Level sets of f(v) for v = tensor([x, y]) with optimizer paths on top (a list or record of [steps, 2] tensors or minimize() results), start o and end x marked.",
                   example: "type(contour(fn(v) => v[0] ** 2 - v[1] ** 2))") { args in
                let f = try args.function(0)
                let xRange = args[1].isNil ? [-2.0, 2] : try plotNumbers(args[1], args, 1)
                let yRange = args[2].isNil ? [-2.0, 2] : try plotNumbers(args[2], args, 2)
                guard xRange.count == 2, yRange.count == 2, xRange[0] < xRange[1], yRange[0] < yRange[1] else {
                    throw args.error("contour(): xlim and ylim must be [low, high] with low < high")
                }
                let resolution = try args.integer(args.function.parameters.count - 1)
                guard (4...400).contains(resolution) else { throw args.error("contour(): resolution must be between 4 and 400, got \(resolution)") }
                var values: [[Double]] = []
                for row in 0..<resolution {
                    try args.ip.checkInterrupt(at: args.span)
                    let y = yRange[0] + (yRange[1] - yRange[0]) * Double(row) / Double(resolution - 1)
                    values.append(try (0..<resolution).map { column in
                        let x = xRange[0] + (xRange[1] - xRange[0]) * Double(column) / Double(resolution - 1)
                        let value = try args.call(f, .object(TensorObject(try Tensor(shape: [2], elements: [x, y]))))
                        switch value {
                        case .number(let z): return z
                        // trap-ok: the where clause checked it
                        case .object(let t as TensorObject) where t.tensor.scalarValue != nil: return t.tensor.scalarValue!
                        default: throw args.error("contour() needs f to return a number, got \(value.typeName)", argument: 0)
                        }
                    })
                }
                let finite = values.flatMap { $0 }.filter(\.isFinite)
                var levels: [Double] = []
                if case .list = args[4] {
                    levels = try plotNumbers(args[4], args, 4)
                } else if let low = finite.min(), let high = finite.max(), high > low {
                    let count = max(try args.integer(4), 1)
                    // Evenly spaced between the 5th and 95th percentiles, so that a steep wall at
                    // the edge of the window does not take every line.
                    let sorted = finite.sorted()
                    let bottom = sorted[sorted.count / 20], top = sorted[sorted.count - 1 - sorted.count / 20]
                    levels = top > bottom ? (1...count).map { bottom + (top - bottom) * Double($0) / Double(count + 1) } : [bottom]
                }
                var series: [Figure.Series] = []
                switch args[3] {
                case .nil: break
                case .record(let record) where record.fields["points"] == nil:
                    for (name, value) in record.fields {
                        let (xs, ys) = try path(value, args, 3)
                        series.append(.init(name: name, xs: xs, ys: ys))
                    }
                case .list(let list) where !(list.items.first.map { if case .number = $0 { true } else { false } } ?? false):
                    for (i, item) in list.items.enumerated() {
                        let (xs, ys) = try path(item, args, 3)
                        series.append(.init(name: "path \(i + 1)", xs: xs, ys: ys))
                    }
                default:
                    let (xs, ys) = try path(args[3], args, 3)
                    series.append(.init(name: "path", xs: xs, ys: ys))
                }
                var figure = Figure(kind: .contour, series: series)
                figure.grid = .init(values: values, xRange: xRange[0]...xRange[1], yRange: yRange[0]...yRange[1], levels: levels)
                return try finish(figure, args, options: optionPositions(args))
            },
            define("heatmap(matrix, \(common))", category, "A matrix as shades: dark for small values, bright for large ones.",
                   example: "type(heatmap(eye(3)))") { args in
                let matrix = try args.tensor(0)
                guard matrix.rank == 2, matrix.count > 0 else { throw args.error("heatmap() needs a non-empty matrix, got shape \(describe(matrix.shape))", argument: 0) }
                let rows = matrix.shape[0], columns = matrix.shape[1], values = matrix.elements
                // Row 0 of the matrix at the top, as printed.
                let grid = (0..<rows).reversed().map { r in Array(values[(r * columns)..<((r + 1) * columns)]) }
                var figure = Figure(kind: .heatmap, series: [])
                figure.grid = .init(values: grid, xRange: 0...Double(columns), yRange: 0...Double(rows), levels: [])
                return try finish(figure, args, options: optionPositions(args))
            },
            define("hist(values, bins: 20, \(common))", category, "A histogram: how many values fall in each of `bins` equal intervals.",
                   example: "type(hist(randn([100])))") { args in
                let values = try plotNumbers(args[0], args, 0).filter(\.isFinite)
                let bins = try args.integer(1)
                guard bins >= 1, bins <= 1000 else { throw args.error("hist(): bins must be between 1 and 1000, got \(bins)", argument: 1) }
                guard let low = values.min(), let high = values.max() else { throw args.error("hist() needs at least one finite value", argument: 0) }
                let width = high > low ? (high - low) / Double(bins) : 1
                var counts = [Double](repeating: 0, count: bins)
                for value in values { counts[min(bins - 1, Int((value - low) / width))] += 1 }
                var figure = Figure(kind: .bars, series: [.init(name: "", xs: counts.indices.map(Double.init), ys: counts)])
                figure.categories = (0..<bins).map { formatNumber(roundToDigits(low + Double($0) * width, 3)) }
                return try finish(figure, args, options: optionPositions(args))
            },
            define("bar(labels, values, \(common))", category, "A bar chart: one bar per label.", example: "type(bar([\"sgd\", \"adam\"], [0.3, 0.1]))") { args in
                let labels = try args.list(0).items.map(\.displayString)
                let values = try plotNumbers(args[1], args, 1)
                guard labels.count == values.count else { throw args.error("bar(): one value per label: \(labels.count) labels and \(values.count) values", argument: 1) }
                var figure = Figure(kind: .bars, series: [.init(name: "", xs: values.indices.map(Double.init), ys: values)])
                figure.categories = labels
                return try finish(figure, args, options: optionPositions(args))
            },
            define("schedule_plot(schedules, steps: 100, \(common), logy: false)", category,
                   "Learning-rate schedules side by side: each schedule's rate at steps 0 ... steps - 1.",
                   example: "type(schedule_plot([cosine_lr(0.1, 100), step_lr(0.1, 30)]))") { args in
                let steps = try args.integer(1)
                guard steps >= 1, steps <= 1_000_000 else { throw args.error("schedule_plot(): steps must be between 1 and 1000000, got \(steps)", argument: 1) }
                let items: [(String, Value)]
                switch args[0] {
                case .record(let record): items = record.fields.map { ($0, $1) }
                case .list(let list): items = list.items.enumerated().map { i, item in
                    if case .function(let f) = item { return (f.signature.prefix { $0 != "(" } + (list.items.count > 1 ? " \(i + 1)" : ""), item) }
                    return ("\(i + 1)", item)
                }
                case .function: items = [("", args[0])]
                default: throw args.error("schedule_plot() expects a schedule, or a list or record of them", argument: 0)
                }
                let series = try items.map { name, schedule -> Figure.Series in
                    let rates = try (0..<steps).map { t -> Double in
                        let value = try args.call(schedule, .number(Double(t)))
                        guard case .number(let x) = value else {
                            throw args.error("schedule_plot(): \(name.isEmpty ? "the schedule" : name) returned \(value.typeName) at step \(t); it must return a number", argument: 0)
                        }
                        return x
                    }
                    return .init(name: name, xs: (0..<steps).map(Double.init), ys: rates)
                }
                var figure = Figure(kind: .lines, series: series)
                figure.xLabel = "step"
                figure.yLabel = "learning rate"
                return try finish(figure, args, options: optionPositions(args))
            },
            define("search_plot(result, \(common))", category,
                   "A search's history: every trial's score and the best so far, then the score against each hyperparameter.",
                   example: "type(search_plot(random_search(fn(c) => c.x ** 2, {x: uniform(-1, 1)}, trials: 5, seed: 0)))") { args in
                guard case .object(let result as SearchResultObject) = args[0] else {
                    throw args.error("search_plot() expects the result of a search, got \(args[0].typeName)", argument: 0)
                }
                let done = result.trials.enumerated().filter { $0.element.score != nil }
                var best = [Double](), current = Double.nan
                for (_, trial) in done {
                    // trap-ok: `done` holds scored trials only
                    let score = trial.score!
                    if current.isNaN || (result.maximize ? score > current : score < current) { current = score }
                    best.append(current)
                }
                var history = Figure(kind: .lines, series: [
                    .init(name: "best so far", xs: done.map { Double($0.offset) }, ys: best),
                    // trap-ok: `done` holds scored trials only
                    .init(name: "trial", xs: done.map { Double($0.offset) }, ys: done.map { $0.element.score! }),
                ])
                history.title = "score by trial"
                history.xLabel = "trial"
                var panels = [history]
                for key in result.trials.first.map({ Array($0.config.fields.keys) }) ?? [] {
                    let pairs = done.compactMap { _, trial -> (Double, Double)? in
                        guard case .number(let x)? = trial.config.fields[key] else { return nil }
                        // trap-ok: `done` holds scored trials only
                        return (x, trial.score!)
                    }
                    guard !pairs.isEmpty else { continue }
                    var panel = Figure(kind: .points, series: [.init(name: "", xs: pairs.map(\.0), ys: pairs.map(\.1))])
                    panel.title = "score against \(key)"
                    panel.xLabel = key
                    panels.append(panel)
                }
                var figure = Figure(kind: .lines, series: [])
                figure.panels = panels
                figure.title = "\(result.method): \(result.trials.count) trials"
                return try finish(figure, args, options: optionPositions(args))
            },
        ]
    }
}

/// Each point's label and the legend's order: class numbers sort numerically, names ("grid", "random")
/// keep the order they first appear in.
private func scatterLabels(_ value: Value, _ args: Arguments) throws -> (names: [String], order: [String]) {
    if case .list(let list) = value, let first = list.items.first, case .string = first {
        let names = try list.items.map { item in
            guard case .string(let text) = item else {
                throw args.error("scatter(): labels must be all numbers or all strings, got \(item.typeName) among strings", argument: 2)
            }
            return text.value
        }
        var order: [String] = []
        for name in names where !order.contains(name) { order.append(name) }
        return (names, order)
    }
    let numbers = try plotNumbers(value, args, 2)
    return (numbers.map(formatNumber), Set(numbers).sorted().map(formatNumber))
}
