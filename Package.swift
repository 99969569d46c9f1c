// swift-tools-version:6.2
import PackageDescription

/// System libraries come from Debian's -dev packages (see `make install`); each is reached from Swift
/// through exactly one wrapper type in the module that imports it.
let package = Package(
    name: "model-gateway",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "model-gateway", targets: ["ModelGatewayCLI"]),
        .executable(name: "rpc-test-server", targets: ["RPCTestServer"]),
        .library(name: "RPC", targets: ["RPC"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
    ],
    targets: [
        .systemLibrary(name: "CNGHTTP2", pkgConfig: "libnghttp2", providers: [.apt(["libnghttp2-dev"])]),
        .systemLibrary(name: "CProtobufC", pkgConfig: "libprotobuf-c", providers: [.apt(["libprotobuf-c-dev"])]),
        .systemLibrary(name: "CCurl", pkgConfig: "libcurl", providers: [.apt(["libcurl4-openssl-dev"])]),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(name: "CHTTPParser", providers: [.apt(["libhttp-parser-dev"])]),
        // Release builds allocate with mimalloc (`libmimalloc-dev`), in place of glibc's malloc for the whole
        // process; debug builds, which the sanitizers instrument, keep glibc's (see Sources/CShims/malloc.c).
        .target(
            name: "CShims",
            cSettings: [.define("GATEWAY_MIMALLOC", .when(platforms: [.linux], configuration: .release))],
            linkerSettings: [.linkedLibrary("mimalloc", .when(platforms: [.linux], configuration: .release))]
        ),
        .target(name: "CCurlShims", dependencies: ["CCurl"]),
        .target(name: "CRPCTestProto", dependencies: ["CProtobufC"]),
        .target(name: "CGatewayProto", dependencies: ["CProtobufC"]),

        .target(name: "Reactor", dependencies: ["CShims"]),
        .target(
            name: "RPC",
            dependencies: [
                "CNGHTTP2", "CHTTPParser", "CZlib", "CShims", "CProtobufC", "Reactor",
            ]
        ),
        // The modelgateway.v1 gRPC binding (proto codec, health, reflection): the product on the generic server.
        .target(
            name: "ModelGatewayGRPC", dependencies: ["RPC", "Gateway", "CGatewayProto", "CProtobufC", "Reactor"]
        ),
        .target(
            name: "Gateway",
            dependencies: ["CCurl", "CCurlShims", "Reactor", .product(name: "Yams", package: "Yams")]
        ),
        .target(
            name: "RESTShim",
            dependencies: ["RPC", "Gateway", "Reactor"]
        ),
        // The OpenAI- and Anthropic-compatible front doors, on the same router and ModelGateway.
        .target(name: "CompatibleAPIs", dependencies: ["RPC", "Gateway", "RESTShim", "Reactor"]),
        .executableTarget(
            name: "RPCTestServer",
            dependencies: ["RPC", "CRPCTestProto", .product(name: "ArgumentParser", package: "swift-argument-parser")]
        ),
        .executableTarget(
            name: "ModelGatewayCLI",
            dependencies: [
                "RPC", "Gateway", "ModelGatewayGRPC", "RESTShim", "CompatibleAPIs",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // Fuzz targets of every parser that reads outside input (Tests/Fuzz/README.md): a library the
        // libFuzzer runner and the corpus replay test share.
        .target(
            name: "FuzzTargets",
            dependencies: [
                "RPC", "Gateway", "ModelGatewayGRPC", "RESTShim", "CompatibleAPIs", "Reactor", "CGatewayProto",
            ],
            path: "Tests/Fuzz/FuzzTargets"
        ),
        .executableTarget(name: "gateway-fuzz", dependencies: ["FuzzTargets"], path: "Tests/Fuzz/Runner"),
        .testTarget(name: "FuzzCorpusTests", dependencies: ["FuzzTargets"], path: "Tests/Fuzz/CorpusTests"),
        .testTarget(name: "ReactorTests", dependencies: ["Reactor"]),
        .testTarget(name: "RPCTests", dependencies: ["RPC"]),
        .testTarget(name: "GatewayTests", dependencies: ["Gateway", "Reactor"]),
        // Fixtures the front doors' test targets share.
        .target(name: "GatewayTestSupport", dependencies: ["Gateway"], path: "Tests/GatewayTestSupport"),
        .testTarget(name: "RESTShimTests", dependencies: ["RESTShim", "Gateway", "RPC", "GatewayTestSupport"]),
        .testTarget(
            name: "CompatibleAPIsTests", dependencies: ["CompatibleAPIs", "Gateway", "RPC", "GatewayTestSupport"]),
        .testTarget(
            name: "ModelGatewayGRPCTests", dependencies: ["ModelGatewayGRPC", "Gateway", "RPC", "GatewayTestSupport"]),
    ],
    swiftLanguageModes: [.v6]
)

// Async functions without an actor run on their caller's executor (SE-0461): a request's work stays on its
// event loop's thread without a task switch at every call (each one took a lock to find the loop again).
// Release builds skip the run-time exclusivity checks (each access to a class's stored property took a call
// into the runtime, ~100 per request); debug builds, which run the tests, keep them and trap on a violation.
for target in package.targets where target.type != .system {
    target.swiftSettings =
        (target.swiftSettings ?? []) + [
            .enableUpcomingFeature("NonisolatedNonsendingByDefault"),
            .unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release)),
        ]
}
