import { z } from 'zod';
import { loadConfig } from '../../infra/config.ts';
import { defineEndpoint, type Endpoint } from '../endpoint.ts';
import { pageOf } from '../pagination.ts';
import {
  deactivatePerson,
  getPerson,
  InvitationCreatedOutput,
  InvitationOutput,
  InviteInput,
  invitePerson,
  listInvitations,
  ListInvitationsQuery,
  listPeople,
  ListPeopleQuery,
  PersonOutput,
  revokeInvitation,
} from './service.ts';

const IdParams = z.object({ id: z.string().uuid('id must be a UUID') });

// Invitation links point at the console's public page; accepting is done there, not through the API. The
// base is the console's own public URL (PUBLIC_URL, else http://HOST:PORT), as the web server uses it.
const publicUrl = () => loadConfig().publicUrl;

export const peopleEndpoints: Endpoint[] = [
  defineEndpoint({
    method: 'get',
    path: '/people',
    tag: 'People',
    summary: 'List the people you may see',
    query: ListPeopleQuery,
    response: pageOf(PersonOutput),
    handler: (ctx, { query }) => listPeople(ctx, query),
  }),
  defineEndpoint({
    method: 'get',
    path: '/people/:id',
    tag: 'People',
    summary: 'Read a person',
    params: IdParams,
    response: PersonOutput,
    handler: (ctx, { params }) => getPerson(ctx, params.id),
  }),
  defineEndpoint({
    method: 'post',
    path: '/people/:id/deactivate',
    tag: 'People',
    summary: 'Deactivate a person (ends their sessions and revokes their API tokens)',
    params: IdParams,
    response: PersonOutput,
    handler: (ctx, { params }) => deactivatePerson(ctx, params.id),
  }),
  defineEndpoint({
    method: 'get',
    path: '/invitations',
    tag: 'Invitations',
    summary: 'List invitations (pending, accepted, expired, revoked)',
    query: ListInvitationsQuery,
    response: z.object({ items: z.array(InvitationOutput) }),
    handler: (ctx, { query }) => listInvitations(ctx, query),
  }),
  defineEndpoint({
    method: 'post',
    path: '/invitations',
    tag: 'Invitations',
    status: 201,
    summary: 'Invite a person; the response carries the invitation link, shown once',
    body: InviteInput,
    response: InvitationCreatedOutput,
    handler: (ctx, { body }) => invitePerson(ctx, body, { baseUrl: publicUrl() }),
  }),
  defineEndpoint({
    method: 'post',
    path: '/invitations/:id/revoke',
    tag: 'Invitations',
    summary: 'Withdraw a pending invitation',
    params: IdParams,
    response: InvitationOutput,
    handler: (ctx, { params }) => revokeInvitation(ctx, params.id),
  }),
];
