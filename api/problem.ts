// Errors of the REST API as RFC 9457 problem details (application/problem+json).
import type { Response } from 'express';

export function sendProblem(res: Response, status: number, title: string, detail: string, extra: Record<string, unknown> = {}) {
  res
    .status(status)
    .type('application/problem+json')
    .json({ type: 'about:blank', title, status, detail, ...extra });
}
