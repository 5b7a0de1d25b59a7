/** The nats-server release that every platform runs: the one scripts/versions.env pins for tests. */
export const NATS_SERVER_VERSION = "2.15.2";
