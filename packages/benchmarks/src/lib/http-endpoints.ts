/** Provider calls per request of the HTTP suite's `-x100` endpoints (shared by the app and the harness, which must not load Nest). */
export const CALLS_PER_AMPLIFIED_REQUEST = 100;
