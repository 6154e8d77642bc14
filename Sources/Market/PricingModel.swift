import GridCore
import Ledger

/// The reference price agents put their limit prices around (the seed's price discovery):
/// base 3.2 tokens/kWh; +50 % in peak hours (the seed: 18:00–22:00; Thai time-of-use uses
/// Mon–Fri 09:00–22:00 — both are parameters); +10 % for renewable energy; a location adjustment
/// from −5 % (same place) to +5 % (farthest) by grid distance; and a carbon adder of
/// 0.3 tokens/kWh on conventional energy (the cost of its emissions).
public struct PricingModel: Hashable, Sendable {
    public var base: MicroTokensPerKWh
    public var peakPremium: BasisPoints
    public var peakWindows: [DailyWindow]
    public var renewablePremium: BasisPoints
    /// Half-width of the location adjustment.
    public var locationSpread: BasisPoints
    public var carbonAdder: MicroTokensPerKWh
    public var calendar: SimCalendar

    public init(base: MicroTokensPerKWh = .milliTokens(3_200), peakPremium: BasisPoints = BasisPoints(5_000),
                peakWindows: [DailyWindow] = [DailyWindow(startHour: 18, endHour: 22, includesWeekends: true)],
                renewablePremium: BasisPoints = BasisPoints(1_000), locationSpread: BasisPoints = BasisPoints(500),
                carbonAdder: MicroTokensPerKWh = .milliTokens(300), calendar: SimCalendar = SimCalendar()) {
        self.base = base
        self.peakPremium = peakPremium
        self.peakWindows = peakWindows
        self.renewablePremium = renewablePremium
        self.locationSpread = locationSpread
        self.carbonAdder = carbonAdder
        self.calendar = calendar
    }

    /// Whether `time` falls in a peak window.
    public func isPeak(at time: SimTime) -> Bool {
        peakWindows.contains { $0.contains(time, calendar: calendar) }
    }

    /// The reference price for energy from `source` at `time`, `distance` apart on the grid
    /// (0 = same zone, 1 = the farthest pair of the network).
    public func referencePrice(at time: SimTime, source: EnergySource, distance: Double) -> MicroTokensPerKWh {
        precondition((0...1).contains(distance), "distance is normalised to 0...1")
        var bp: Int64 = 10_000
        if isPeak(at: time) { bp += peakPremium.rawValue }
        if source.isRenewable { bp += renewablePremium.rawValue }
        bp += Int64((Double(locationSpread.rawValue) * (2 * distance - 1)).rounded())
        var price = base.share(BasisPoints(bp))
        if !source.isRenewable { price += carbonAdder }
        return price
    }
}
