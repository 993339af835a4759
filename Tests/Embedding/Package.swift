// swift-tools-version: 6.1
import Foundation
import PackageDescription

// Another package that depends on Parley's library product ParleyLoad, as an embedder's would:
// it builds only if no target of that product carries unsafeFlags (SwiftPM refuses those in a
// dependency). Built by `make embedding-check`, part of `make test`.
//
// Parley is a path dependency, whose identity is its directory's name (any name a clone was
// given), so it is read from this file's location.
let parley = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().lastPathComponent.lowercased()

let package = Package(
    name: "EmbedsParleyLoad",
    dependencies: [.package(path: "../..")],
    targets: [
        .executableTarget(
            name: "EmbedsParleyLoad",
            dependencies: [.product(name: "ParleyLoad", package: parley)]
        )
    ]
)
