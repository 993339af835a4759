// swift-tools-version: 6.1
import Foundation
import PackageDescription

// Another package that depends on Parley's library product ParleyLoad as an embedder's would: by
// version. SwiftPM refuses a version-based dependency any of whose products' targets carries
// unsafeFlags (a path or branch dependency would let them through: checked 2026-12-01), so this
// builds only if none does. `make embedding-check` (in `make test`) clones the repository's HEAD,
// tags the clone 1.0.0 and names it in PARLEY_REPOSITORY; without it, a path dependency on this
// checkout (builds, proves less).
let repository = Context.environment["PARLEY_REPOSITORY"]
let checkout = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()
// A package's identity is the last part of its URL or path, lowercased.
let identity = (repository.map { URL(string: $0)?.lastPathComponent ?? $0 } ?? checkout.lastPathComponent).lowercased()

let package = Package(
    name: "EmbedsParleyLoad",
    dependencies: [repository.map { .package(url: $0, from: "1.0.0") } ?? .package(path: "../..")],
    targets: [
        .executableTarget(
            name: "EmbedsParleyLoad",
            dependencies: [.product(name: "ParleyLoad", package: identity)]
        )
    ]
)
