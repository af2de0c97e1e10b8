// Record ids are UUIDs; anything else cannot name a record, so services answer "not found" without
// asking the database (which would fail on the malformed value).
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const isUuid = (value: unknown): value is string => typeof value === 'string' && UUID.test(value);
