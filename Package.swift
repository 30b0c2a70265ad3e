// swift-tools-version: 6.0
import PackageDescription

let package = Package(
    name: "finetune",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "finetune", targets: ["finetune"]),
        .library(name: "ChatDataset", targets: ["ChatDataset"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/onevcat/Rainbow", from: "4.2.2"),
    ],
    targets: [
        .executableTarget(
            name: "finetune",
            dependencies: [
                "ChatDataset",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Rainbow", package: "Rainbow"),
            ]
        ),
        .target(
            name: "ChatDataset",
            dependencies: [.product(name: "Yams", package: "Yams")]
        ),
        .testTarget(
            name: "ChatDatasetTests",
            dependencies: ["ChatDataset"],
            exclude: ["Fixtures"]
        ),
        .testTarget(
            name: "FinetuneCLITests",
            dependencies: ["finetune"]
        ),
    ],
    swiftLanguageModes: [.v6]
)
