import NIOCore

/// The file descriptor under a plaintext NIO socket channel, for the direct write path
/// (`PreEncodedFrameWriter`). NIO keeps it private; it is read once per connection through
/// reflection (`Mirror` sees stored properties whatever their access): the channel's `socket`,
/// then that socket's `descriptor`. Nil when the shape is not found (another NIO, an embedded
/// channel): the connection then writes through NIO's pipeline as before — the fast path is an
/// optimisation, never a requirement. `DirectWriteTests` fails when NIO changes the shape.
enum SocketDescriptor {
    static func of(_ channel: any Channel) -> CInt? {
        guard let socket = storedProperty("socket", of: channel) else { return nil }
        guard let descriptor = storedProperty("descriptor", of: socket) as? CInt, descriptor >= 0 else { return nil }
        return descriptor
    }

    /// A stored property of `value` by name, its class's or any superclass's.
    private static func storedProperty(_ name: String, of value: Any) -> Any? {
        var mirror: Mirror? = Mirror(reflecting: value)
        while let current = mirror {
            if let child = current.children.first(where: { $0.label == name }) { return child.value }
            mirror = current.superclassMirror
        }
        return nil
    }
}
