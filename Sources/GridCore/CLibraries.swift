import CGSL
import CSodium

/// One-time initialisation of the C libraries: `sodium_init()` (which also picks libsodium's
/// fastest BLAKE2b implementation) and `gsl_set_error_handler_off()` (so GSL reports errors
/// through return values instead of aborting the process).
///
/// Every entry point of GridCore that calls into either library touches ``ready`` first; a Swift
/// global is initialised exactly once, thread-safely.
enum CLibraries {
    static let ready: Bool = {
        guard sodium_init() >= 0 else { fatalError("libsodium failed to initialise") }
        gsl_set_error_handler_off()
        return true
    }()

    @inline(__always)
    static func ensureReady() {
        precondition(ready)
    }
}
