/// Why a sampler cannot take a search space, in words that name the branch and the key.
public struct SamplerError: Error, Sendable, Hashable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
