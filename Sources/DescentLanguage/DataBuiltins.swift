import DescentData
import DescentTensor

// Mini-batches and data sets: the language side of DescentData.

/// `batches(X, Y, size:)`: iterable like PyTorch's DataLoader. Every `for` over it is one epoch
/// that visits each sample once, in a fresh order when shuffling; the orders come from the
/// loader's own generator, seeded from `seed:` or from the session's generator when it was made.
final class BatchesObject: NativeObject {
    let inputs: Tensor
    let targets: Tensor?
    let size: Int
    let shuffle: Bool
    let dropLast: Bool
    private var generator: RandomGenerator
    private(set) var epochs = 0

    init(inputs: Tensor, targets: Tensor?, size: Int, shuffle: Bool, dropLast: Bool, generator: RandomGenerator) {
        self.inputs = inputs; self.targets = targets; self.size = size; self.shuffle = shuffle
        self.dropLast = dropLast; self.generator = generator
    }

    override var typeName: String { "batches" }
    var count: Int {
        let n = inputs.shape[0]
        return dropLast ? n / size : (n + size - 1) / size
    }
    override func describe() -> String {
        "<batches: \(count) of \(size) from \(inputs.shape[0]) samples\(shuffle ? ", shuffled each epoch" : "")>"
    }
    override var fieldNames: [String] { ["size", "epochs", "len"] }
    override func field(_ name: String) -> Value? {
        switch name {
        case "size": .number(Double(size))
        case "epochs": .number(Double(epochs))
        case "len": .number(Double(count))
        default: nil
        }
    }

    /// One epoch: `[xb, yb]` pairs, or `xb` alone without targets.
    override func iterationValues(at span: SourceSpan) throws -> [Value]? {
        epochs += 1
        let plan = Datasets.batchIndices(count: inputs.shape[0], size: size, shuffle: shuffle, dropLast: dropLast, generator: &generator)
        do {
            return try plan.map { indices in
                let x = Value.object(TensorObject(try inputs.rows(indices)))
                guard let targets else { return x }
                return .list([x, .object(TensorObject(try targets.rows(indices)))])
            }
        } catch let error as TensorError {
            throw error.at(span)
        }
    }
}

/// Runs `body` with the generator a data built-in should use: its own when `seed:` is given,
/// else the session's (so `seed(n)` makes it reproducible).
private func withGenerator<Result>(_ args: Arguments, seedArgument index: Int, _ body: (inout RandomGenerator) throws -> Result) throws -> Result {
    if args[index].isNil { return try body(&args.ip.random) }
    let seed = try args.integer(index)
    guard seed >= 0 else { throw args.error("\(args.function.name)(): seed must be a whole number of at least 0, got \(seed)", argument: index) }
    var generator = args.ip.generator(seed: UInt64(seed))
    return try body(&generator)
}

/// A data set's inputs and targets, checked to have the same number of rows.
private func samples(_ args: Arguments, _ xIndex: Int, _ yIndex: Int) throws -> (Tensor, Tensor?) {
    let x = try args.tensor(xIndex)
    guard x.rank >= 1 else { throw args.error("\(args.function.name)() needs samples in rows, got a tensor with no dimensions", argument: xIndex) }
    guard !args[yIndex].isNil else { return (x, nil) }
    let y = try args.tensor(yIndex)
    guard y.rank >= 1, y.shape[0] == x.shape[0] else {
        throw args.error("\(args.function.name)() needs as many targets as samples: X has \(x.shape[0]) rows (shape \(describe(x.shape))), Y has shape \(describe(y.shape))", argument: yIndex)
    }
    return (x, y)
}

private func pair(_ x: Tensor, _ y: Tensor) -> Value { .list([.object(TensorObject(x)), .object(TensorObject(y))]) }

private func rethrowingData<Result>(_ args: Arguments, _ body: () throws -> Result) throws -> Result {
    do { return try body() } catch let error as Datasets.Failure { throw args.error(error.message) }
}

/// split()'s shares of the rows: [frac, 1 - frac], or `fracs`, which must be positive and sum to 1.
private func splitFractions(_ args: Arguments) throws -> [Double] {
    let (fracValue, fracIndex) = args.named("frac")
    let (fracsValue, fracsIndex) = args.named("fracs")
    let fraction = try args.number(fracIndex)
    guard !fracsValue.isNil else {
        guard fraction > 0, fraction < 1 else { throw args.error("split(): frac must be between 0 and 1 (exclusive), got \(formatNumber(fraction))", argument: fracIndex) }
        return [fraction, 1 - fraction]
    }
    guard case .number(0.8) = fracValue else {
        throw args.error("split(): give frac (two parts) or fracs (any number of parts), not both", argument: fracIndex)
    }
    let fractions = try args.tensor(fracsIndex)
    guard fractions.rank == 1, fractions.count >= 2, fractions.count <= 100 else {
        throw args.error("split(): fracs must be a list of 2 to 100 shares, such as [0.6, 0.2, 0.2]", argument: fracsIndex)
    }
    let shares = fractions.elements
    guard shares.allSatisfy({ $0 > 0 && $0.isFinite }), Swift.abs(shares.reduce(0, +) - 1) < 1e-9 else {
        throw args.error("split(): fracs must be positive shares that add up to 1, got \(Value.list(shares.map(Value.number)).reprString) (sum \(formatNumber(roundToDigits(shares.reduce(0, +), 12))))", argument: fracsIndex)
    }
    return shares
}

/// A CSV's cells as numbers, or the first cell that is not one.
private func numericRows(_ rows: [[String]], firstLine: Int, name: String) throws -> [Double] {
    var values: [Double] = []
    values.reserveCapacity(rows.count * (rows.first?.count ?? 0))
    for (r, row) in rows.enumerated() {
        for (c, cell) in row.enumerated() {
            guard let x = Double(cell.trimmingSpaces()) else {
                throw Datasets.Failure("\(name):\(firstLine + r): column \(c + 1) is \(quoteString(cell)), not a number")
            }
            values.append(x)
        }
    }
    return values
}

/// One of the data sets shipped in lessons/data: [X, y], the last column as labels (names
/// numbered in order of appearance).
private func bundledDataSet(_ args: Arguments, file: String) throws -> Value {
    guard let directory = args.ip.dataDirectory else {
        throw args.error("\(args.function.name)() cannot find the lessons/data folder; set DESCENT_DATA to it")
    }
    let path = directory + "/" + file
    return try rethrowingData(args) {
        let (_, rows) = try CSVFile.parse(try CSVFile.readText(path: path), header: true, name: path)
        let features = rows.map { Array($0.dropLast()) }
        var names: [String] = []
        let labels = rows.map { row -> Double in
            let last = row.last ?? ""
            if let x = Double(last) { return x }
            if let index = names.firstIndex(of: last) { return Double(index) }
            names.append(last)
            return Double(names.count - 1)
        }
        let x = try Tensor(shape: [rows.count, features.first?.count ?? 0], elements: try numericRows(features, firstLine: 2, name: path))
        return pair(x, try Tensor(shape: [rows.count], elements: labels))
    }
}

extension Builtins {
    static var data: [BuiltinFunction] {
        let category = "Data"
        return [
            define("read_csv(path, header: true)", category,
                   "A CSV file: with a header, a record of its columns (tensors, or lists of strings for text columns); without, a tensor of its numbers.",
                   example: "type(read_csv)") { args in
                let path = try args.string(0)
                return try rethrowingData(args) {
                    let (header, rows) = try CSVFile.parse(try CSVFile.readText(path: path), header: args[1].isTruthy, name: path)
                    guard let header else {
                        let values = try numericRows(rows, firstLine: 1, name: path)
                        return .object(TensorObject(try Tensor(shape: [rows.count, rows.first?.count ?? 0], elements: values)))
                    }
                    let record = RecordObject()
                    for (c, name) in header.enumerated() {
                        let cells = rows.map { $0[c] }
                        let numbers = cells.compactMap { Double($0.trimmingSpaces()) }
                        record.fields[name] = numbers.count == cells.count
                            ? .object(TensorObject(try Tensor(shape: [numbers.count], elements: numbers)))
                            : .list(cells.map { .str($0) })
                    }
                    return .record(record)
                }
            },
            define("load_digits()", category,
                   "scikit-learn's 1,797 handwritten digits: [X (1797 x 64 pixels, 0 to 16), y (the digit)].",
                   example: "shape(load_digits()[0])") { args in try bundledDataSet(args, file: "digits.csv") },
            define("load_iris()", category,
                   "Fisher's 150 irises: [X (150 x 4 measurements in cm), y (species 0 setosa, 1 versicolor, 2 virginica)].",
                   example: "shape(load_iris()[0])") { args in try bundledDataSet(args, file: "iris.csv") },
            define("batches(X, Y: nil, size: 32, shuffle: true, drop_last: false, seed: nil)", category,
                   "Mini-batches as PyTorch's DataLoader makes them: each `for xb, yb in batches(X, Y)` is one epoch covering every sample once, in a new order when shuffling.",
                   example: "len(list(batches(zeros([10, 2]), size: 4)))") { args in
                let (x, y) = try samples(args, 0, 1)
                let size = try args.integer(2)
                guard size >= 1 else { throw args.error("batches(): size must be a whole number of at least 1, got \(size)", argument: 2) }
                let seed = try withGenerator(args, seedArgument: 5) { $0.next() }
                return .object(BatchesObject(inputs: x, targets: y, size: size, shuffle: args[3].isTruthy, dropLast: args[4].isTruthy,
                                             generator: RandomGenerator(seed: seed)))
            },
            define("shuffle(X, Y: nil, seed: nil)", category, "The rows in a random order (the same order for X and Y): [X, Y], or X alone.",
                   example: "shuffle(arange(5), seed: 1)") { args in
                let (x, y) = try samples(args, 0, 1)
                let order = try withGenerator(args, seedArgument: 2) { $0.permutation(x.shape[0]) }
                let shuffledX = try x.rows(order)
                guard let y else { return .object(TensorObject(shuffledX)) }
                return pair(shuffledX, try y.rows(order))
            },
            define("split(X, Y: nil, frac: 0.8, fracs: nil, shuffle: true, seed: nil)", category,
                   "Training and validation sets: [X_train, Y_train, X_val, Y_val] (or [X_train, X_val]), the first frac of the (shuffled) rows for training. fracs: [0.6, 0.2, 0.2] makes three parts, training, validation and test: [X_train, Y_train, X_val, Y_val, X_test, Y_test]; choose on validation, report on test. On a string, split(text, sep) splits it at sep (or at white space).",
                   example: "shape(split(zeros([10, 2]), fracs: [0.6, 0.2, 0.2])[2])") { args in
                if case .string(let text) = args[0] { return try splitString(text.value, args[1], args) }
                let (x, y) = try samples(args, 0, 1)
                let fractions = try splitFractions(args)
                let n = x.shape[0]
                let (shuffleValue, _) = args.named("shuffle")
                let (_, seedIndex) = args.named("seed")
                let order = shuffleValue.isTruthy ? try withGenerator(args, seedArgument: seedIndex) { $0.permutation(n) } : Array(0..<n)
                var cuts = [0]
                var total = 0.0
                for fraction in fractions {
                    total += fraction
                    cuts.append(Int((Double(n) * total).rounded()))
                }
                cuts[cuts.count - 1] = n
                var parts: [Value] = []
                for (index, (start, end)) in zip(cuts, cuts.dropFirst()).enumerated() {
                    guard end > start || n == 0 else {
                        throw args.error("split(): part \(index + 1) of \(fractions.count) would get no rows: \(n) rows split \(Value.list(fractions.map(Value.number)).reprString)", argument: args.named("fracs").value.isNil ? args.named("frac").index : args.named("fracs").index)
                    }
                    let rows = Array(order[start..<end])
                    parts.append(.object(TensorObject(try x.rows(rows))))
                    if let y { parts.append(.object(TensorObject(try y.rows(rows)))) }
                }
                return .list(parts)
            },
            define("standardize(X, reference: nil)", category,
                   "Each column shifted to mean 0 and scaled to standard deviation 1, using the statistics of `reference` (the training set) when given.",
                   example: "standardize(tensor([[1], [3]]))") { args in
                let x = try args.tensor(0)
                let reference = args[1].isNil ? x : try args.tensor(1)
                let mean = try reference.mean(axes: [0], keepdims: true)
                var spread = try reference.standardDeviation(axes: [0], correction: 0, keepdims: true)
                spread.updateElements { values in for i in values.indices where values[i] == 0 { values[i] = 1 } }
                return .object(TensorObject(try Tensor.binary(.divide, Tensor.binary(.subtract, x, mean), spread)))
            },
            define("one_hot(labels, k)", category, "Rows of k zeros with a 1 at each label's position.", example: "one_hot([0, 2], 3)") { args in
                let labels = try args.tensor(0)
                let k = try args.integer(1)
                guard k >= 1 else { throw args.error("one_hot(): k must be at least 1, got \(k)", argument: 1) }
                var out = try Tensor(shape: labels.shape + [k], repeating: 0)
                var positions: [Int] = []
                for i in 0..<labels.count {
                    let label = labels[flat: i]
                    guard label == label.rounded(), label >= 0, label < Double(k) else {
                        throw args.error("one_hot(): labels must be whole numbers from 0 to \(k - 1), got \(formatNumber(label))", argument: 0)
                    }
                    positions.append(i * k + Int(label))
                }
                out.updateElements { values in for position in positions { values[position] = 1 } }
                return .object(TensorObject(out))
            },
            define("make_moons(n, noise: 0, seed: nil)", category, "scikit-learn's two interleaving half moons: [X (n x 2), y (0 or 1)], shuffled.",
                   example: "shape(make_moons(100)[0])") { args in
                let n = try args.integer(0), noise = try args.number(1)
                let (x, y) = try withGenerator(args, seedArgument: 2) { g in try rethrowingData(args) { try Datasets.moons(n, noise: noise, generator: &g) } }
                return pair(x, y)
            },
            define("make_spirals(n, classes: 3, noise: 0.2, seed: nil)", category, "CS231n's spirals: [X (n x 2), y (class of each arm)], shuffled.",
                   example: "shape(make_spirals(90)[0])") { args in
                let n = try args.integer(0), classes = try args.integer(1), noise = try args.number(2)
                let (x, y) = try withGenerator(args, seedArgument: 3) { g in
                    try rethrowingData(args) { try Datasets.spirals(n, classes: classes, noise: noise, generator: &g) }
                }
                return pair(x, y)
            },
            define("make_blobs(n, centers: 3, features: 2, std: 1, seed: nil)", category,
                   "scikit-learn's Gaussian blobs: [X, y]; centers is a count (drawn in [-10, 10]) or the centres themselves.",
                   example: "shape(make_blobs(30, centers: 3)[0])") { args in
                let n = try args.integer(0), features = try args.integer(2), spread = try args.number(3)
                let given: Tensor? = if case .number = args[1] { nil } else { try args.tensor(1) }
                let count = given == nil ? try args.integer(1) : 0
                guard given != nil || count >= 1 else { throw args.error("make_blobs(): centers must be at least 1, got \(count)", argument: 1) }
                guard features >= 1 else { throw args.error("make_blobs(): features must be at least 1, got \(features)", argument: 2) }
                let (x, y) = try withGenerator(args, seedArgument: 4) { g in
                    try rethrowingData(args) { try Datasets.blobs(n, centers: given, count: count, features: features, spread: spread, generator: &g) }
                }
                return pair(x, y)
            },
            define("make_regression(n, features: 1, noise: 0, seed: nil)", category,
                   "A linear regression problem with random true weights: [X (n x features), y (n x 1)].",
                   example: "shape(make_regression(50, features: 3)[1])") { args in
                let n = try args.integer(0), features = try args.integer(1), noise = try args.number(2)
                guard features >= 1 else { throw args.error("make_regression(): features must be at least 1, got \(features)", argument: 1) }
                let (x, y, _) = try withGenerator(args, seedArgument: 3) { g in
                    try rethrowingData(args) { try Datasets.linear(n, weights: nil, features: features, bias: 0, noise: noise, generator: &g) }
                }
                return pair(x, y)
            },
            define("make_linear(n, w: [1], b: 0, noise: 0, seed: nil)", category,
                   "y = X w + b + noise with X standard normal: [X (n x len(w)), y (n x 1)].",
                   example: "shape(make_linear(20, w: [2, -1], b: 0.5)[0])") { args in
                let n = try args.integer(0), bias = try args.number(2), noise = try args.number(3)
                let weights = args[1].isNil ? Tensor(scalar: 1) : try args.tensor(1)
                let (x, y, _) = try withGenerator(args, seedArgument: 4) { g in
                    try rethrowingData(args) { try Datasets.linear(n, weights: weights, features: 0, bias: bias, noise: noise, generator: &g) }
                }
                return pair(x, y)
            },
        ]
    }
}
