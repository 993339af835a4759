import Foundation
import Hummingbird
import ParleyProtocol

/// The `@connections` management API: post to, describe, or close one connection by id, behind
/// a bearer token. Without a configured token the API does not exist (404).
struct ManagementAPI {
    let token: String?
    let registry: ConnectionRegistry
    let routeHandler: any RouteHandler
    let maximumBodyBytes: Int

    func addRoutes(to router: Router<BasicRequestContext>) {
        router.post("/@connections/:id") { request, context in
            let id = try authorize(request, context)
            let body: ByteBuffer
            do {
                body = try await request.body.collect(upTo: maximumBodyBytes)
            } catch {
                throw HTTPError(.contentTooLarge, message: "body larger than \(maximumBodyBytes) bytes")
            }
            guard await registry.send(Array(buffer: body), to: id) else { throw gone(id) }
            return HTTPResponse.Status.ok
        }
        router.get("/@connections/:id") { request, context -> Response in
            let id = try authorize(request, context)
            guard let info = await registry.info(id) else { throw gone(id) }
            var fields: [String: String] = [
                "connectionId": "\(id)",
                "connectedAt": info.connectedAt.ISO8601Format(),
                "lastActiveAt": info.lastActiveAt.ISO8601Format(),
            ]
            if let ip = info.sourceIP { fields["sourceIp"] = ip }
            fields.merge(routeHandler.attributes(of: id)) { mine, _ in mine }
            let json = try JSONSerialization.data(withJSONObject: fields, options: [.sortedKeys])
            return Response(
                status: .ok, headers: [.contentType: "application/json"],
                body: .init(byteBuffer: ByteBuffer(bytes: json)))
        }
        router.delete("/@connections/:id") { request, context in
            let id = try authorize(request, context)
            guard await registry.closeIfOpen(id, code: .normal, reason: "closed by the management API") else {
                throw gone(id)
            }
            return HTTPResponse.Status.noContent
        }
    }

    /// 404 when the API is off, 401 for a wrong or missing token, 410 for a malformed id (an id
    /// that never existed is as gone as one that closed).
    private func authorize(_ request: Request, _ context: BasicRequestContext) throws -> ConnectionID {
        guard let token else { throw HTTPError(.notFound) }
        guard ConstantTimeComparison.equal(request.headers[.authorization] ?? "", "Bearer \(token)") else {
            throw HTTPError(.unauthorized, headers: [.wwwAuthenticate: "Bearer"], message: "bearer token required")
        }
        let raw = context.parameters.get("id") ?? ""
        guard let id = ConnectionID(raw) else { throw gone(raw) }
        return id
    }

    private func gone(_ id: some CustomStringConvertible) -> HTTPError {
        HTTPError(.gone, message: "connection \(id) is gone")
    }
}
