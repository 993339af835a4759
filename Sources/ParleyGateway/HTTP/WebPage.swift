import Foundation
import HTTPTypes
import Hummingbird

/// The chat page: the files of the package's `Web` folder, read once at start, at `/` (the
/// page) and `/NAME` (its modules and stylesheet).
///
/// Caching: no file name carries a version, so every response says `no-cache` (keep it, but ask
/// before using it) with a strong ETag; the browser's revalidation is answered 304 with no body.
/// A Content-Security-Policy allows this origin only and no inline script, so even a bug that put
/// user text into markup could not run it.
enum WebPage {
    /// `authRequired`: the server has an authorizer (`--auth jwt|webhook`), so the page needs a
    /// token; `refreshURL`: where the page asks for the next one before it runs out (its origin
    /// joins the CSP's connect-src).
    static func addRoutes(to router: Router<BasicRequestContext>, authRequired: Bool = false, refreshURL: String? = nil) {
        var headers = WebAsset.securityHeaders
        if let refreshURL, let url = URL(string: refreshURL), let scheme = url.scheme, let host = url.host {
            let origin = "\(scheme)://\(host)" + (url.port.map { ":\($0)" } ?? "")
            headers[.contentSecurityPolicy] = WebAsset.contentSecurityPolicy(connectingAlsoTo: origin)
        }
        for asset in WebAsset.loadAll() {
            let response = { @Sendable [headers] (request: Request, _: BasicRequestContext) -> Response in
                asset.response(ifNoneMatch: request.headers[.ifNoneMatch], headers: headers)
            }
            router.get(RouterPath(asset.path), use: response)
            router.head(RouterPath(asset.path), use: response)
        }
        // What the page must know before it connects: whether a token is needed, where to renew it.
        let config = AuthPageConfig(required: authRequired, refreshURL: refreshURL)
        router.get("/auth.json") { [headers] _, _ -> Response in
            var fields = headers
            fields[.contentType] = "application/json"
            fields[.cacheControl] = "no-store"
            return Response(status: .ok, headers: fields, body: .init(byteBuffer: ByteBuffer(bytes: config.json)))
        }
    }
}

/// `/auth.json`: `{"required":true,"refreshURL":"https://…"}` (docs/PROTOCOL.md, "Identity").
struct AuthPageConfig: Encodable {
    let required: Bool
    let refreshURL: String?

    var json: Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return (try? encoder.encode(self)) ?? Data("{}".utf8)
    }
}

/// One file of the page, with what it is served with.
struct WebAsset: Sendable {
    let path: String
    let body: Data
    let contentType: String
    let etag: String

    static func contentSecurityPolicy(connectingAlsoTo origin: String? = nil) -> String {
        "default-src 'self'; connect-src 'self'\(origin.map { " " + $0 } ?? ""); img-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
    }

    static let securityHeaders: HTTPFields = [
        .contentSecurityPolicy: contentSecurityPolicy(),
        HTTPField.Name("X-Content-Type-Options")!: "nosniff",
        HTTPField.Name("Referrer-Policy")!: "no-referrer",
    ]

    init(fileName: String, body: Data) {
        self.path = fileName == "index.html" ? "/" : "/\(fileName)"
        self.body = body
        self.contentType = Self.contentType(forExtension: (fileName as NSString).pathExtension)
        self.etag = "\"\(Self.fingerprint(body))\""
    }

    func response(ifNoneMatch: String?, headers base: HTTPFields = securityHeaders) -> Response {
        var headers = base
        headers[.eTag] = etag
        headers[.cacheControl] = "no-cache"
        if let ifNoneMatch, ifNoneMatch.split(separator: ",").contains(where: { $0.trimmingCharacters(in: .whitespaces) == etag }) {
            return Response(status: .notModified, headers: headers)
        }
        headers[.contentType] = contentType
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }

    /// Every file in the bundle's `Web` folder; `index.html` is served at `/`.
    static func loadAll() -> [WebAsset] {
        guard let folder = Bundle.module.url(forResource: "Web", withExtension: nil),
            let names = try? FileManager.default.contentsOfDirectory(atPath: folder.path)
        else { return [] }
        return names.sorted().compactMap { name in
            guard let body = FileManager.default.contents(atPath: folder.appendingPathComponent(name).path) else { return nil }
            return WebAsset(fileName: name, body: body)
        }
    }

    static func contentType(forExtension pathExtension: String) -> String {
        switch pathExtension {
        case "html": "text/html; charset=utf-8"
        case "js": "text/javascript; charset=utf-8"
        case "css": "text/css; charset=utf-8"
        case "svg": "image/svg+xml"
        case "png": "image/png"
        case "ico": "image/x-icon"
        default: "application/octet-stream"
        }
    }

    /// FNV-1a over the bytes: enough to tell versions of a file apart, not a security measure.
    static func fingerprint(_ bytes: Data) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes {
            hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3
        }
        return String(hash, radix: 16)
    }
}
