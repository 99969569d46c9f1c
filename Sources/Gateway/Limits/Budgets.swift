import Glibc
import Reactor

/// A named key's spending limits (`auth.keys[].budget`): US dollars per UTC day, tokens per calendar month.
public struct Budget: Sendable, Equatable {
    public var usdPerDay: Double?
    public var tokensPerMonth: Int?

    public init(usdPerDay: Double? = nil, tokensPerMonth: Int? = nil) {
        self.usdPerDay = usdPerDay
        self.tokensPerMonth = tokensPerMonth
    }
}

/// What a key has spent in the current periods.
public struct BudgetSpent: Sendable, Equatable {
    public var usd: Double
    public var tokens: Int

    public init(usd: Double = 0, tokens: Int = 0) {
        self.usd = usd
        self.tokens = tokens
    }
}

/// The periods budgets count in — the UTC day and the calendar month — and the seconds left in each.
struct BudgetPeriod: Sendable, Equatable {
    let key: BudgetPeriodKey
    let secondsLeftInDay: Int
    let secondsLeftInMonth: Int

    static func now(_ seconds: time_t = time(nil)) -> BudgetPeriod {
        var moment = seconds
        var parts = tm()
        gmtime_r(&moment, &parts)
        let year = Int(parts.tm_year) + 1900
        let month = Int(parts.tm_mon) + 1
        let intoDay = Int(parts.tm_hour) * 3600 + Int(parts.tm_min) * 60 + Int(parts.tm_sec)
        var next = tm()
        next.tm_year = month == 12 ? parts.tm_year + 1 : parts.tm_year
        next.tm_mon = month == 12 ? 0 : parts.tm_mon + 1
        next.tm_mday = 1
        let monthEnd = Int(timegm(&next))
        let monthName = "\(year)-" + two(month)
        return BudgetPeriod(
            key: BudgetPeriodKey(day: monthName + "-" + two(Int(parts.tm_mday)), month: monthName),
            secondsLeftInDay: 86_400 - intoDay, secondsLeftInMonth: max(1, monthEnd - Int(seconds)))
    }

    private static func two(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }
}

/// Where budgets are counted: in this process, or in Redis for the whole fleet.
public protocol BudgetStore: Sendable {
    /// What `key` spent in `period`; nil when the store cannot say (then the request goes on).
    func spent(_ key: String, in period: BudgetPeriodKey) async -> BudgetSpent?
    /// Counts a finished request's cost and tokens.
    func add(_ key: String, in period: BudgetPeriodKey, usd: Double, tokens: Int) async
}

/// The names of the current periods, as stores key their counters.
public struct BudgetPeriodKey: Sendable, Hashable {
    public let day: String
    public let month: String
}

/// Budgets counted in this process alone (no `rate_limits.redis_url`).
public final class InProcessBudgetStore: BudgetStore {
    private let spentByDay = Locked<[String: Double]>([:])
    private let spentByMonth = Locked<[String: Int]>([:])

    public init() {}

    public func spent(_ key: String, in period: BudgetPeriodKey) async -> BudgetSpent? {
        BudgetSpent(
            usd: spentByDay.withLock { $0[key + "|" + period.day] ?? 0 },
            tokens: spentByMonth.withLock { $0[key + "|" + period.month] ?? 0 })
    }

    public func add(_ key: String, in period: BudgetPeriodKey, usd: Double, tokens: Int) async {
        let day = key + "|" + period.day
        let month = key + "|" + period.month
        spentByDay.withLock { table in
            // Past days are of no use: keep the table to the current one.
            if table[day] == nil { table = table.filter { $0.key.hasSuffix("|" + period.day) } }
            table[day, default: 0] += usd.isFinite ? usd : 0
        }
        spentByMonth.withLock { table in
            if table[month] == nil { table = table.filter { $0.key.hasSuffix("|" + period.month) } }
            let (sum, overflow) = table[month, default: 0].addingReportingOverflow(tokens)
            table[month] = overflow ? .max : sum
        }
    }
}
