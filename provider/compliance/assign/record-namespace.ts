/**
 * Where assignment records live by default: gatekeeper-system exists wherever Gatekeeper does. Apart from
 * assignment-record.ts so the command line can show it without loading the assignment code.
 */
export const DEFAULT_RECORD_NAMESPACE = 'gatekeeper-system';
