// The web server (web/server.ts) replaces this header with the socket's address on every request, so
// a client cannot choose its own value; route code reads the address from here.
export const CLIENT_IP_HEADER = 'x-anthropy-client-ip';
export const clientIp = (request: Request): string => request.headers.get(CLIENT_IP_HEADER) ?? 'unknown';
