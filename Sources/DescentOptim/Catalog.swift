/// Every optimizer by its PyTorch name, with PyTorch's defaults, built from named options: the one
/// place that knows which options each accepts (the language's built-ins and `minimize` both
/// come here).
public enum OptimizerCatalog {
    public enum Option {
        case number(Double)
        case flag(Bool)
        case pair(Double, Double)
    }

    public struct Entry: Sendable {
        public let name: String
        public let defaultLearningRate: Double
        /// The options with their defaults, as a learner writes them: `momentum: 0`.
        public let options: [(name: String, defaultValue: String)]
    }

    public static let entries: [Entry] = [
        Entry(name: "sgd", defaultLearningRate: 1e-3, options: [("momentum", "0"), ("dampening", "0"), ("nesterov", "false"),
                                                                ("weight_decay", "0"), ("maximize", "false")]),
        Entry(name: "adagrad", defaultLearningRate: 1e-2, options: [("lr_decay", "0"), ("weight_decay", "0"),
                                                                    ("initial_accumulator_value", "0"), ("eps", "1e-10"), ("maximize", "false")]),
        Entry(name: "rmsprop", defaultLearningRate: 1e-2, options: [("alpha", "0.99"), ("eps", "1e-8"), ("weight_decay", "0"),
                                                                    ("momentum", "0"), ("centered", "false"), ("maximize", "false")]),
        Entry(name: "adadelta", defaultLearningRate: 1.0, options: [("rho", "0.9"), ("eps", "1e-6"), ("weight_decay", "0"), ("maximize", "false")]),
        Entry(name: "adam", defaultLearningRate: 1e-3, options: [("betas", "[0.9, 0.999]"), ("eps", "1e-8"), ("weight_decay", "0"),
                                                                 ("amsgrad", "false"), ("maximize", "false")]),
        Entry(name: "adamw", defaultLearningRate: 1e-3, options: [("betas", "[0.9, 0.999]"), ("eps", "1e-8"), ("weight_decay", "0.01"),
                                                                  ("amsgrad", "false"), ("maximize", "false")]),
        Entry(name: "adamax", defaultLearningRate: 2e-3, options: [("betas", "[0.9, 0.999]"), ("eps", "1e-8"), ("weight_decay", "0"), ("maximize", "false")]),
        Entry(name: "nadam", defaultLearningRate: 2e-3, options: [("betas", "[0.9, 0.999]"), ("eps", "1e-8"), ("weight_decay", "0"),
                                                                  ("momentum_decay", "0.004"), ("decoupled_weight_decay", "false"), ("maximize", "false")]),
        Entry(name: "radam", defaultLearningRate: 1e-3, options: [("betas", "[0.9, 0.999]"), ("eps", "1e-8"), ("weight_decay", "0"),
                                                                  ("decoupled_weight_decay", "false"), ("maximize", "false")]),
    ]

    public static func entry(_ name: String) throws -> Entry {
        guard let entry = entries.first(where: { $0.name == name }) else {
            throw OptimizationError("unknown optimizer \"\(name)\"; choose one of \(entries.map { "\"\($0.name)\"" }.joined(separator: ", ")), \"newton\", \"saddle_free_newton\"", argument: "opt")
        }
        return entry
    }

    /// The rule `name` with `options` (missing ones take PyTorch's defaults).
    public static func rule(_ name: String, options: [String: Option]) throws -> any UpdateRule {
        let entry = try entry(name)
        for key in options.keys where !entry.options.contains(where: { $0.name == key }) {
            throw OptimizationError("\(name) has no option '\(key)'; its options are \(entry.options.map(\.name).joined(separator: ", "))", argument: key)
        }
        func number(_ key: String, _ fallback: Double) throws -> Double {
            switch options[key] {
            case nil: return fallback
            case .number(let x)?: return x
            default: throw OptimizationError("\(key) must be a number", argument: key)
            }
        }
        func flag(_ key: String) throws -> Bool {
            switch options[key] {
            case nil: return false
            case .flag(let b)?: return b
            default: throw OptimizationError("\(key) must be true or false", argument: key)
            }
        }
        func betas() throws -> (Double, Double) {
            switch options["betas"] {
            case nil: return (0.9, 0.999)
            case .pair(let a, let b)?: return (a, b)
            default: throw OptimizationError("betas must be a list of two numbers, as [0.9, 0.999]", argument: "betas")
            }
        }
        switch name {
        case "sgd":
            return try SGD(momentum: number("momentum", 0), dampening: number("dampening", 0), nesterov: flag("nesterov"),
                           weightDecay: number("weight_decay", 0), maximize: flag("maximize"))
        case "adagrad":
            return try Adagrad(lrDecay: number("lr_decay", 0), weightDecay: number("weight_decay", 0),
                               initialAccumulatorValue: number("initial_accumulator_value", 0), eps: number("eps", 1e-10),
                               maximize: flag("maximize"))
        case "rmsprop":
            return try RMSprop(alpha: number("alpha", 0.99), eps: number("eps", 1e-8), weightDecay: number("weight_decay", 0),
                               momentum: number("momentum", 0), centered: flag("centered"), maximize: flag("maximize"))
        case "adadelta":
            return try Adadelta(rho: number("rho", 0.9), eps: number("eps", 1e-6), weightDecay: number("weight_decay", 0), maximize: flag("maximize"))
        case "adam", "adamw":
            return try Adam(betas: betas(), eps: number("eps", 1e-8), weightDecay: number("weight_decay", name == "adamw" ? 1e-2 : 0),
                            amsgrad: flag("amsgrad"), decoupled: name == "adamw", maximize: flag("maximize"))
        case "adamax":
            return try Adamax(betas: betas(), eps: number("eps", 1e-8), weightDecay: number("weight_decay", 0), maximize: flag("maximize"))
        case "nadam":
            return try NAdam(betas: betas(), eps: number("eps", 1e-8), weightDecay: number("weight_decay", 0),
                             momentumDecay: number("momentum_decay", 4e-3), decoupled: flag("decoupled_weight_decay"), maximize: flag("maximize"))
        default:
            return try RAdam(betas: betas(), eps: number("eps", 1e-8), weightDecay: number("weight_decay", 0),
                             decoupled: flag("decoupled_weight_decay"), maximize: flag("maximize"))
        }
    }
}
