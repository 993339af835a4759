/// How frames reach a plaintext connection's socket (docs/ARCHITECTURE.md, "The direct write
/// path" and "The io_uring write path"). wss connections always take `nio`: their bytes must be
/// encrypted by TLS's handler in the pipeline.
public enum WritePath: String, Sendable, CaseIterable {
    /// `direct`, but a loop's flush goes to the kernel in one io_uring submission instead of a
    /// `send` per connection. Where the kernel refuses io_uring, `direct` (said in the log).
    case uring
    /// Frames handed to the kernel with one `send`/`sendmsg` per connection on the socket under
    /// NIO's channel while NIO holds none of that connection's bytes; NIO's pipeline otherwise.
    case direct
    /// Every frame through NIO's pipeline.
    case nio
}
