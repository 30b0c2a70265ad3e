import Foundation
import TensorCore

/// OpenBLAS reads `OPENBLAS_CORETYPE` only when it loads, before `main`; when the variable is
/// missing and this CPU needs it, the process replaces itself with a copy that has it set.
enum Relaunch {
    static func withBLASCoreTypeIfNeeded() {
        #if os(Linux)
        guard let environment = BLASEnvironment.environmentForRelaunch(ProcessInfo.processInfo.environment),
              let core = environment[BLASEnvironment.variable] else { return }
        setenv(BLASEnvironment.variable, core, 1)
        execv("/proc/self/exe", CommandLine.unsafeArgv)
        // execv only returns on failure: carry on with the slower kernels.
        #endif
    }
}
