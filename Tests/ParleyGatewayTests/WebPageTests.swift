import Testing

/// The chat page's files over HTTP: what a browser gets, and what it gets on revalidation.
/// (The page's behaviour is tested in a real browser: Tests/BrowserTests.)
@Suite(.timeLimit(.minutes(1))) struct WebPageTests {
    func header(_ name: String, of response: RawHTTP.Response) -> String? {
        response.headers.first { $0.0 == name }?.1
    }

    @Test func servesThePageAndItsModulesWithTheirTypes() async throws {
        try await withServer { server async throws in
            let expected = [
                "/": "text/html; charset=utf-8", "/app.js": "text/javascript; charset=utf-8",
                "/chat-connection.js": "text/javascript; charset=utf-8", "/chat-log.js": "text/javascript; charset=utf-8",
                "/member-list.js": "text/javascript; charset=utf-8", "/room-list.js": "text/javascript; charset=utf-8",
                "/style.css": "text/css; charset=utf-8",
                "/favicon.svg": "image/svg+xml",
            ]
            for (path, type) in expected {
                let response = try await RawHTTP.request(port: server.port, path: path)
                #expect(response.status == 200, "\(path)")
                #expect(header("content-type", of: response) == type, "\(path)")
                #expect(header("cache-control", of: response) == "no-cache", "\(path)")
                #expect(header("x-content-type-options", of: response) == "nosniff", "\(path)")
                #expect(header("content-security-policy", of: response)?.contains("default-src 'self'") == true, "\(path)")
                #expect(!response.body.isEmpty, "\(path)")
            }
            let page = try await RawHTTP.request(port: server.port, path: "/")
            #expect(page.body.contains("<script type=\"module\" src=\"/app.js\"></script>"))
            #expect(try await RawHTTP.request(port: server.port, path: "/missing.js").status == 404)
        }
    }

    @Test func revalidationWithTheETagIsAnswered304WithoutABody() async throws {
        try await withServer { server async throws in
            let first = try await RawHTTP.request(port: server.port, path: "/app.js")
            let etag = try #require(header("etag", of: first))
            #expect(etag.hasPrefix("\"") && etag.hasSuffix("\""))
            let again = try await RawHTTP.request(port: server.port, path: "/app.js", headers: [("If-None-Match", etag)])
            #expect(again.status == 304)
            #expect(again.body.isEmpty)
            #expect(header("etag", of: again) == etag)
            let stale = try await RawHTTP.request(port: server.port, path: "/app.js", headers: [("If-None-Match", "\"other\"")])
            #expect(stale.status == 200)
            // Files differ, so do their tags.
            let style = try await RawHTTP.request(port: server.port, path: "/style.css")
            #expect(header("etag", of: style) != etag)
        }
    }

    @Test func noWebServesNoPageButStillUpgrades() async throws {
        try await withServer(gateway: { $0.servesWebPage = false }) { server async throws in
            #expect(try await RawHTTP.request(port: server.port, path: "/").status == 404)
            #expect(try await RawHTTP.request(port: server.port, path: "/app.js").status == 404)
            #expect(try await RawHTTP.upgradeStatus(port: server.port, path: "/") == 101)
        }
    }
}
