import NIOSSL

extension LoadTest {
    /// The client side of TLS for wss:// targets: the system's roots plus `--ca`, or no checks
    /// at all with `--insecure`.
    func makeTLSContext() throws -> NIOSSLContext {
        var configuration = TLSConfiguration.makeClientConfiguration()
        if let file = options.tlsCAFile {
            let certificates: [NIOSSLCertificate]
            do {
                certificates = try NIOSSLCertificate.fromPEMFile(file)
            } catch {
                throw ReportError("--ca \(file): not a readable PEM certificate file (\(error))")
            }
            configuration.additionalTrustRoots = [.certificates(certificates)]
        }
        if options.tlsInsecure { configuration.certificateVerification = .none }
        return try NIOSSLContext(configuration: configuration)
    }
}
