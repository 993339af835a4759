import Foundation
import Hummingbird

/// The chat page, served from the package's resources.
enum WebPage {
    static func addRoutes(to router: Router<BasicRequestContext>) {
        let page = Bundle.module.url(forResource: "index", withExtension: "html", subdirectory: "Web")
            .flatMap { try? Data(contentsOf: $0) } ?? Data("<!doctype html><title>Parley</title>".utf8)
        router.get("/") { _, _ in
            Response(
                status: .ok,
                headers: [.contentType: "text/html; charset=utf-8", .cacheControl: "no-cache"],
                body: .init(byteBuffer: ByteBuffer(bytes: page)))
        }
    }
}
