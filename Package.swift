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
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-collections", from: "1.6.0"),
    ],
    targets: [
        .systemLibrary(
            name: "CEditLine",
            pkgConfig: "libedit",
            providers: [.apt(["libedit-dev"]), .brew(["libedit"])]
        ),
        .systemLibrary(
            name: "COpenBLAS",
            pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev"]), .brew(["openblas"])]
        ),
        // Tensors, autodiff and neural-network helpers: knows nothing of the language.
        .target(
            name: "DescentTensor",
            dependencies: ["COpenBLAS"],
            swiftSettings: fastRelease
        ),
        .target(
            name: "DescentLanguage",
            dependencies: ["DescentTensor", .product(name: "OrderedCollections", package: "swift-collections")],
            swiftSettings: fastRelease
        ),
        .executableTarget(
            name: "descent",
            dependencies: [
                "DescentLanguage",
                "CEditLine",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: fastRelease
        ),
        .testTarget(
            name: "DescentTensorTests",
            dependencies: ["DescentTensor"],
            resources: [.copy("Fixtures")]
        ),
        .testTarget(
            name: "DescentLanguageTests",
            dependencies: ["DescentLanguage"]
        ),
        .testTarget(
            name: "DescentCLITests",
            dependencies: ["descent"]
        ),
    ]
)
