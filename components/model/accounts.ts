/** The accounts of a super-cluster, by name (static mode) or by the name in their JWT (operator mode). */

/** The write side: write, ordering, stretched and home streams, and the stack's own streams. */
export const APP_ACCOUNT = "APP";
export const SYSTEM_ACCOUNT = "SYS";

/** A region's account: its applications' users and the streams named as the virtual streams. */
export const regionAccount = (region: string): string => `${APP_ACCOUNT}-${region}`;
