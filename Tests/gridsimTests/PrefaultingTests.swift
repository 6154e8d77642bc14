import CMimalloc
import Foundation
import Testing

/// The prefaulting thread of `cmimalloc_start_prefaulting`, in this process: memory mimalloc
/// hands out from its arena is resident before anyone touches it.
@Suite struct PrefaultingTests {
    /// Whether the page holding `address` is resident, asked without touching it.
    private func isResident(_ address: UnsafeMutableRawPointer) -> Bool {
        let pageBytes = Int(sysconf(Int32(_SC_PAGESIZE)))
        let page = UnsafeMutableRawPointer(bitPattern: Int(bitPattern: address) & ~(pageBytes - 1))!
        var vector: UInt8 = 0
        #expect(mincore(page, pageBytes, &vector) == 0)
        return vector & 1 == 1
    }

    /// Whether this host lets a process reserve address space the size of physical memory:
    /// not under strict overcommit (`vm.overcommit_memory` 2, where `MAP_NORESERVE` is ignored)
    /// nor under an address-space limit (`ulimit -v`). `gridsim` then runs without the thread.
    static var reservationIsAllowed: Bool {
        let overcommit = try? String(contentsOfFile: "/proc/sys/vm/overcommit_memory", encoding: .utf8)
        var limit = rlimit()
        getrlimit(__rlimit_resource_t(RLIMIT_AS.rawValue), &limit)
        return overcommit?.hasPrefix("2") != true && limit.rlim_cur == rlim_t.max
    }

    @Test(.enabled(if: reservationIsAllowed, "strict overcommit or an address-space limit refuses the reservation"))
    func aBlockFromTheArenaIsFaultedInBeforeItIsTouched() async throws {
        #expect(cmimalloc_start_prefaulting(16 << 20) == 0, "a lead under one 32 MiB segment is refused")
        #expect(cmimalloc_start_prefaulting(64 << 20) == 1)
        let blockBytes = 40 << 20
        let block = try #require(mi_malloc(blockBytes))
        defer { mi_free(block) }
        let lastPage = block + blockBytes - 1
        let deadline = ContinuousClock.now + .seconds(60)
        while !isResident(lastPage), ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(5))
        }
        #expect(isResident(lastPage), "the block's last page was never faulted in")
    }
}
