/**
 * Where assignment records live by default: gatekeeper-system exists wherever Gatekeeper does. A module of its
 * own so the command line can show it without loading the assignment code.
 */
export const DEFAULT_RECORD_NAMESPACE = 'gatekeeper-system';
