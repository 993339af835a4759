import Testing

@testable import ParleyGateway

/// The management API's bearer token is compared without an early exit.
@Suite struct ConstantTimeComparisonTests {
    @Test func equalOnlyWhenEveryByteAndTheLengthMatch() {
        #expect(ConstantTimeComparison.equal("Bearer s3cret", "Bearer s3cret"))
        #expect(!ConstantTimeComparison.equal("Bearer s3cres", "Bearer s3cret"), "last byte")
        #expect(!ConstantTimeComparison.equal("Aearer s3cret", "Bearer s3cret"), "first byte")
        #expect(!ConstantTimeComparison.equal("Bearer s3cre", "Bearer s3cret"), "a prefix")
        #expect(!ConstantTimeComparison.equal("Bearer s3cret!", "Bearer s3cret"), "longer")
        #expect(!ConstantTimeComparison.equal("", "Bearer s3cret"))
        #expect(ConstantTimeComparison.equal("", ""))
        // 256 bytes apart in length wraps a UInt8 length difference to zero: still unequal.
        #expect(!ConstantTimeComparison.equal(String(repeating: "a", count: 256), ""))
        #expect(ConstantTimeComparison.equal("ключ", "ключ") && !ConstantTimeComparison.equal("ключ", "ключи"))
    }
}
