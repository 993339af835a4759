import Crypto
import Foundation
import NIOSSL
import SwiftASN1
import X509

/// A throwaway CA and server certificates signed by it, made in the test (no openssl, no files
/// kept): a good one for 127.0.0.1 and localhost, one that expired yesterday, and one for
/// another host. PEM files in a temporary folder, for `--tls-cert`, `--tls-key` and `--ca`.
public struct TestCertificates: Sendable {
    public struct Leaf: Sendable {
        public let certificatePath: String
        public let keyPath: String
    }

    public let folder: URL
    public let caPath: String
    public let good: Leaf
    public let expired: Leaf
    public let otherHost: Leaf

    public static func make() throws -> TestCertificates {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("parley-certs-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let now = Date()
        let caKey = P256.Signing.PrivateKey()
        let caName = try DistinguishedName { CommonName("Parley test CA") }
        let ca = try Certificate(
            version: .v3, serialNumber: .init(), publicKey: .init(caKey.publicKey),
            notValidBefore: now - 3_600, notValidAfter: now + 86_400, issuer: caName, subject: caName,
            signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.isCertificateAuthority(maxPathLength: nil))
                Critical(KeyUsage(keyCertSign: true))
            },
            issuerPrivateKey: .init(caKey))
        let caPath = folder.appendingPathComponent("ca.pem").path
        try ca.serializeAsPEM().pemString.write(toFile: caPath, atomically: true, encoding: .utf8)

        func leaf(_ name: String, host: String, ip: [UInt8]?, from: Date, until: Date) throws -> Leaf {
            let key = P256.Signing.PrivateKey()
            var names: [GeneralName] = [.dnsName(host)]
            if let ip { names.append(.ipAddress(ASN1OctetString(contentBytes: ArraySlice(ip)))) }
            let certificate = try Certificate(
                version: .v3, serialNumber: .init(), publicKey: .init(key.publicKey),
                notValidBefore: from, notValidAfter: until, issuer: caName,
                subject: try DistinguishedName { CommonName(host) },
                signatureAlgorithm: .ecdsaWithSHA256,
                extensions: try Certificate.Extensions {
                    Critical(BasicConstraints.notCertificateAuthority)
                    try ExtendedKeyUsage([.serverAuth])
                    SubjectAlternativeNames(names)
                },
                issuerPrivateKey: .init(caKey))
            let certificatePath = folder.appendingPathComponent("\(name).pem").path
            let keyPath = folder.appendingPathComponent("\(name)-key.pem").path
            try certificate.serializeAsPEM().pemString.write(toFile: certificatePath, atomically: true, encoding: .utf8)
            try key.pemRepresentation.write(toFile: keyPath, atomically: true, encoding: .utf8)
            return Leaf(certificatePath: certificatePath, keyPath: keyPath)
        }

        return TestCertificates(
            folder: folder, caPath: caPath,
            good: try leaf("good", host: "localhost", ip: [127, 0, 0, 1], from: now - 3_600, until: now + 86_400),
            expired: try leaf("expired", host: "localhost", ip: [127, 0, 0, 1], from: now - 172_800, until: now - 86_400),
            otherHost: try leaf("other", host: "chat.example.net", ip: nil, from: now - 3_600, until: now + 86_400))
    }

    public func remove() {
        try? FileManager.default.removeItem(at: folder)
    }
}

extension TestCertificates.Leaf {
    /// The gateway's TLS configuration serving this certificate.
    public func serverConfiguration() throws -> TLSConfiguration {
        TLSConfiguration.makeServerConfiguration(
            certificateChain: try NIOSSLCertificate.fromPEMFile(certificatePath).map { .certificate($0) },
            privateKey: .privateKey(try NIOSSLPrivateKey(file: keyPath, format: .pem)))
    }
}
