import type { Endpoint } from '../endpoint.ts';

// Placeholder: being built (issue 3).
export const auditEndpoints: Endpoint[] = [];
