// swift-tools-version:6.0
import PackageDescription

// Release builds of the interpreter count references non-atomically: one thread evaluates a
// session and no Swift object is shared between threads (the module keeps no shared
// reference-counted globals). Worth 18% on calls (BENCHMARKS.md). Code that runs interpreters on
// several threads at once (a parallel search) must give each its own objects, or drop this flag.
let fastRelease: [SwiftSetting] = [
    .unsafeFlags(["-Xfrontend", "-assume-single-threaded"], .when(configuration: .release))
]

let package = Package(
    name: "Descent",
    products: [
        .executable(name: "descent", targets: ["descent"]),
        .library(name: "DescentLanguage", targets: ["DescentLanguage"]),
        .library(name: "DescentTensor", targets: ["DescentTensor"]),
        .library(name: "DescentOptim", targets: ["DescentOptim"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-collections", from: "1.6.0"),
        .package(url: "https://github.com/JohnSundell/Ink", from: "0.6.0"),
    ],
    targets: [
        .systemLibrary(
            name: "CEditLine",
            pkgConfig: "libedit",
            providers: [.apt(["libedit-dev"]), .brew(["libedit"])]
        ),
        // OpenBLAS, loaded with dlopen at its first use (include/COpenBLAS.h says why).
        .target(
            name: "COpenBLAS",
            cSettings: [.unsafeFlags(["-gdwarf-4"])],
            linkerSettings: [.linkedLibrary("dl")]
        ),
        // Vectorised element-wise kernels, compiled for several x86-64 levels (see kernels.h).
        // No fused multiply-adds, so that every CPU level computes bit-identical results.
        // DWARF 4: valgrind 3.19 (Debian 12) cannot read clang 21's DWARF 5 for these objects.
        .target(
            name: "CKernels",
            cSettings: [.unsafeFlags(["-O3", "-fno-math-errno", "-ffp-contract=off", "-gdwarf-4"])]
        ),
        // Tensors, autodiff and neural-network helpers: knows nothing of the language.
        .target(
            name: "DescentTensor",
            dependencies: ["COpenBLAS", "CKernels"],
            swiftSettings: fastRelease
        ),
        // Synthetic data sets and mini-batch index plans.
        .target(
            name: "DescentData",
            dependencies: ["DescentTensor"],
            swiftSettings: fastRelease
        ),
        // Figures drawn in the terminal (braille) and as SVG.
        .target(
            name: "DescentPlot",
            swiftSettings: fastRelease
        ),
        // Search spaces, Hyperband budgets, Gaussian-process Bayesian optimisation, the worker-process pool.
        .target(
            name: "DescentSearch",
            dependencies: ["DescentTensor", "CKernels"],
            swiftSettings: fastRelease
        ),
        // Statistics of repeated experiments: Student's t, confidence intervals, paired and Welch tests.
        .target(
            name: "DescentStats",
            swiftSettings: fastRelease
        ),
        // Optimizers and learning-rate schedules as torch.optim computes them.
        .target(
            name: "DescentOptim",
            dependencies: ["DescentTensor", "CKernels"],
            swiftSettings: fastRelease
        ),
        .target(
            name: "DescentLanguage",
            dependencies: ["DescentTensor", "DescentOptim", "DescentData", "DescentSearch", "DescentStats", "DescentPlot", "CKernels", .product(name: "OrderedCollections", package: "swift-collections")],
            swiftSettings: fastRelease
        ),
        // Notebooks in the percent format: parsing, running, export to HTML, Markdown and .ipynb.
        .target(
            name: "DescentNotebook",
            dependencies: ["DescentLanguage", .product(name: "Ink", package: "Ink")],
            swiftSettings: fastRelease
        ),
        // Exercises, workspaces, quizzes and the progress file: what the course commands share.
        .target(
            name: "DescentCourse",
            dependencies: ["DescentLanguage"],
            swiftSettings: fastRelease
        ),
        .executableTarget(
            name: "descent",
            dependencies: [
                "DescentLanguage",
                "DescentTensor",
                "DescentNotebook",
                "DescentCourse",
                "CEditLine",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: fastRelease,
            // A fixed-address executable: a position-independent one spent 0.5 ms of every start
            // applying 80,000 relocations (page faults included) to the statically linked runtime.
            linkerSettings: [.unsafeFlags(["-Xclang-linker", "-no-pie"], .when(configuration: .release))]
        ),
        .testTarget(
            name: "DescentTensorTests",
            dependencies: ["DescentTensor"],
            resources: [.copy("Fixtures")]
        ),
        .testTarget(
            name: "DescentOptimTests",
            dependencies: ["DescentOptim", "DescentTensor"],
            resources: [.copy("Fixtures")]
        ),
        .testTarget(
            name: "DescentStatsTests",
            dependencies: ["DescentStats"],
            resources: [.copy("Fixtures")]
        ),
        .testTarget(
            name: "DescentDataTests",
            dependencies: ["DescentData"]
        ),
        .testTarget(
            name: "DescentCourseTests",
            dependencies: ["DescentCourse"]
        ),
        .testTarget(
            name: "DescentNotebookTests",
            dependencies: ["DescentNotebook"]
        ),
        .testTarget(
            name: "DescentLanguageTests",
            dependencies: ["DescentLanguage"],
            exclude: ["Fixtures"]  // read from the source tree by path; regenerated by their script
        ),
        .testTarget(
            name: "DescentCLITests",
            dependencies: ["descent"]
        ),
    ]
)

// The libFuzzer harness exists only when `make fuzz` asks for it (DESCENT_FUZZ=1): it has no main
// function (libFuzzer provides one), so an ordinary build could not link it.
if Context.environment["DESCENT_FUZZ"] != nil {
    package.targets.append(.executableTarget(
        name: "DescentFuzz",
        dependencies: ["DescentLanguage", "DescentTensor"],
        path: "Fuzz/DescentFuzz"
    ))
}
