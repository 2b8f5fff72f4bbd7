/**
 * Functions the SQL escape hatch lets a query call, by the name ClickHouse's own parser gives
 * them (operators appear as functions too: `a = b` is `equals`). An allow-list, not a
 * deny-list: a function the engine adds tomorrow is refused until someone reads what it
 * does. Left out on purpose: everything that reads outside the query's rows (dictGet*,
 * joinGet, file, currentDatabase, getSetting, hostName, …), table functions, and sleeps or
 * throws that only serve to probe or stall the engine.
 */
const NAMES = `
plus minus multiply divide modulo intDiv intDivOrZero moduloOrZero negate abs sign
equals notEquals less greater lessOrEquals greaterOrEquals and or not xor
in notIn globalIn globalNotIn nullIn notNullIn like notLike ilike notILike match
tuple array arrayElement tupleElement lambda if multiIf isNull isNotNull coalesce ifNull nullIf
assumeNotNull toNullable CAST _CAST accurateCastOrNull exists isNaN isFinite isInfinite ifNotFinite
count uniq uniqExact uniqCombined uniqCombined64 uniqHLL12 uniqTheta sum sumWithOverflow avg min max
any anyLast anyHeavy argMin argMax median medianExact quantile quantiles quantileExact quantilesExact
quantileTDigest quantileTiming quantileDeterministic groupArray groupUniqArray groupArraySample topK
stddevPop stddevSamp varPop varSamp corr covarPop covarSamp countDistinct windowFunnel retention
sequenceMatch sequenceCount histogram groupBitmap simpleLinearRegression
row_number rank dense_rank lagInFrame leadInFrame first_value last_value nth_value ntile percent_rank cume_dist
now now64 today yesterday toDate toDate32 toDateTime toDateTime64 toTimeZone toStartOfMinute
toStartOfFiveMinutes toStartOfFifteenMinutes toStartOfHour toStartOfDay toStartOfWeek toStartOfMonth
toStartOfQuarter toStartOfYear toStartOfInterval toMonday toYear toQuarter toMonth toWeek toISOWeek
toISOYear toDayOfMonth toDayOfWeek toDayOfYear toHour toMinute toSecond toYYYYMM toYYYYMMDD
toUnixTimestamp fromUnixTimestamp formatDateTime dateDiff date_diff dateTrunc date_trunc dateAdd
dateSub date_add date_sub age timeSlot addSeconds addMinutes addHours addDays addWeeks addMonths
addQuarters addYears subtractSeconds subtractMinutes subtractHours subtractDays subtractWeeks
subtractMonths subtractQuarters subtractYears toIntervalSecond toIntervalMinute toIntervalHour
toIntervalDay toIntervalWeek toIntervalMonth toIntervalQuarter toIntervalYear
parseDateTimeBestEffort parseDateTimeBestEffortOrNull parseDateTime64BestEffort toDateOrNull
toDateTimeOrNull toRelativeDayNum toRelativeHourNum
length lengthUTF8 empty notEmpty lower upper lowerUTF8 upperUTF8 concat concatWithSeparator substring
substr substringUTF8 left right leftUTF8 rightUTF8 trim trimLeft trimRight trimBoth position
positionCaseInsensitive locate startsWith endsWith replace replaceAll replaceOne replaceRegexpAll
replaceRegexpOne extract extractAll splitByChar splitByString arrayStringConcat multiSearchAny
reverse format toValidUTF8 base64Encode base64Decode hex unhex domain domainWithoutWWW
topLevelDomain protocol path pathFull queryString fragment extractURLParameter
extractURLParameters cutQueryString cutFragment cutWWW decodeURLComponent encodeURLComponent URLHierarchy
toString toFixedString toInt8 toInt16 toInt32 toInt64 toUInt8 toUInt16 toUInt32 toUInt64
toFloat32 toFloat64 toDecimal32 toDecimal64 toBool toUUID toTypeName toInt32OrNull toInt64OrNull
toUInt64OrNull toFloat64OrNull toInt64OrZero toFloat64OrZero toUInt64OrZero
round floor ceil trunc roundBankers sqrt pow power exp log log2 log10 ln greatest least e pi
arrayMap arrayFilter arrayExists arrayAll arrayCount arraySum arrayAvg arrayMin arrayMax arraySort
arrayReverseSort arrayDistinct arrayUniq arrayJoin has hasAny hasAll indexOf arrayConcat arraySlice
arrayPushBack arrayPushFront arrayEnumerate arrayCompact arrayFlatten arrayZip arrayFirst arrayLast
arrayReduce countEqual range
map mapKeys mapValues mapContains untuple
JSONExtract JSONExtractString JSONExtractInt JSONExtractUInt JSONExtractFloat JSONExtractBool JSONExtractRaw
JSONHas JSONLength toJSONString JSONAllPaths JSONAllPathsWithTypes JSONDynamicPaths dynamicType
cityHash64 sipHash64 xxHash64 murmurHash3_64 bar formatReadableSize formatReadableQuantity
`

export const ALLOWED_FUNCTIONS: ReadonlySet<string> = new Set(NAMES.split(/\s+/).filter(Boolean))

/** Aggregate combinators (`countIf`, `uniqMerge`, `sumArrayIf`, …) wrap an allowed base. */
const COMBINATORS = [
  'If',
  'Array',
  'Map',
  'State',
  'Merge',
  'ForEach',
  'Distinct',
  'OrDefault',
  'OrNull',
  'Resample',
  'ArgMin',
  'ArgMax',
]

export function isAllowedFunction(name: string): boolean {
  if (ALLOWED_FUNCTIONS.has(name)) return true
  for (const suffix of COMBINATORS) {
    if (
      name.length > suffix.length &&
      name.endsWith(suffix) &&
      isAllowedFunction(name.slice(0, -suffix.length))
    ) {
      return true
    }
  }
  return false
}
