// The built-in catalogue, versioned with the product and written into `capabilities` at start-up
// (sync.ts). OpenClaw tool groups and their tools are those of the OpenClaw version the bundle ships
// (its docs/gateway/config-tools/tool-policy.md); a tool's risk says what a gateway could do with it.
import type { ApprovalPolicy, CapabilityAction, CapabilityKind, Confirmation, PackItem, Risk } from '../../db/schema.ts';
import { MSP_ROLES } from '../authz.ts';

/** Bump when an entry changes: each built-in row records the catalogue version that wrote it. */
export const CATALOGUE_VERSION = '2026.11.1';

export interface DefaultPermission {
  allowedActions: 'all' | string[];
  confirmation: Confirmation;
  approval: ApprovalPolicy;
}

export interface BuiltInCapability {
  key: string;
  kind: CapabilityKind;
  name: string;
  description: string;
  provider?: string;
  openclawTool?: string;
  actions?: CapabilityAction[];
  packItems?: PackItem[];
  /** What an organization without a permission row of its own may do (none: it must be granted). */
  defaultPermission?: DefaultPermission;
}

export const DEFAULT_APPROVAL: ApprovalPolicy = { approvalsNeeded: 1, approverRoles: [...MSP_ROLES], forbidSelfApproval: false, expiresInHours: 24 };

const act = (key: string, risk: Risk, description: string): CapabilityAction => ({ key, risk, description });

/** One OpenClaw tool group: its actions are the tools it holds (tool → risk and description), which a gateway's tool policy allows or denies. */
const toolGroup = (group: string, name: string, description: string, tools: Record<string, [Risk, string]>): BuiltInCapability => ({
  key: `openclaw.${group.replace('group:', '')}`,
  kind: 'tool',
  name,
  description,
  openclawTool: group,
  actions: Object.entries(tools).map(([tool, [risk, what]]) => act(tool, risk, what)),
});

/** The operations on an instance (jobs): not something the instance uses, so attachments do not narrow them. */
export const LIFECYCLE_KEY = 'openclaw.lifecycle';

const OPENCLAW_LIFECYCLE: BuiltInCapability = {
  key: LIFECYCLE_KEY,
  kind: 'tool',
  name: 'OpenClaw lifecycle',
  description: 'Deploy, adopt and operate OpenClaw gateways on managed machines.',
  actions: [
    act('health', 'low', 'Check an instance’s containers and gateway health.'),
    act('logs', 'medium', 'Read an instance’s log lines (redacted on the machine).'),
    act('start', 'medium', 'Start a stopped instance.'),
    act('adopt', 'high', 'Take over a discovered instance as it runs.'),
    act('deploy', 'high', 'Deploy the OpenClaw bundle to a machine.'),
    act('restart', 'high', 'Restart an instance’s gateway (downtime).'),
    act('stop', 'high', 'Stop an instance.'),
    act('upgrade', 'high', 'Move an instance to another bundle version (snapshot, switch, health gate, automatic rollback).'),
    act('apply_capabilities', 'high', 'Write an instance’s tool policy (the gateway reloads it, or restarts).'),
    act('remove', 'critical', 'Remove an instance’s containers (and optionally its data).'),
  ],
  // Every organization may have its gateways operated; the risky actions ask for an approval.
  defaultPermission: { allowedActions: 'all', confirmation: 'by_risk', approval: DEFAULT_APPROVAL },
};

const OPENCLAW_TOOL_GROUPS: BuiltInCapability[] = [
  toolGroup('group:runtime', 'OpenClaw runtime tools', 'Run shell commands and processes on the gateway’s machine.', {
    exec: ['critical', 'Run a shell command.'],
    process: ['high', 'Manage background processes.'],
    code_execution: ['critical', 'Run generated code.'],
  }),
  toolGroup('group:fs', 'OpenClaw file tools', 'Read and change files in the gateway’s workspace.', {
    read: ['low', 'Read a file.'],
    write: ['high', 'Write a file.'],
    edit: ['high', 'Edit a file.'],
    apply_patch: ['high', 'Apply a patch to files.'],
  }),
  toolGroup('group:web', 'OpenClaw web tools', 'Search and fetch from the web.', {
    web_search: ['medium', 'Search the web.'],
    x_search: ['medium', 'Search X.'],
    web_fetch: ['medium', 'Fetch a web page.'],
  }),
  toolGroup('group:memory', 'OpenClaw memory tools', 'Search and read the agent’s memory.', {
    memory_search: ['low', 'Search memory.'],
    memory_get: ['low', 'Read a memory entry.'],
  }),
  toolGroup('group:messaging', 'OpenClaw messaging', 'Send messages on the gateway’s channels.', { message: ['high', 'Send a message on a channel.'] }),
  toolGroup('group:automation', 'OpenClaw automation', 'Scheduled automations, the gateway tool, plugins and OpenClaw setup.', {
    heartbeat_respond: ['low', 'Answer a heartbeat.'],
    automations: ['high', 'Create and change scheduled automations.'],
    gateway: ['high', 'Read and change the gateway’s own configuration.'],
    plugins: ['high', 'Manage plugins.'],
    openclaw: ['critical', 'Delegate OpenClaw setup and repair.'],
  }),
  toolGroup('group:ui', 'OpenClaw interface tools', 'Browser, screen, terminal and canvas tools.', {
    browser: ['high', 'Drive a browser.'],
    screen: ['high', 'See the screen.'],
    terminal: ['critical', 'Use a terminal.'],
    canvas: ['medium', 'Draw on the canvas.'],
  }),
  toolGroup('group:media', 'OpenClaw media tools', 'View and generate images, audio and video; read PDFs.', {
    view_image: ['low', 'View an image.'],
    image_generate: ['medium', 'Generate an image.'],
    tts: ['low', 'Speak text.'],
    pdf: ['low', 'Read a PDF.'],
  }),
];

const SAAS_TOOLS: BuiltInCapability[] = [
  {
    key: 'google_drive',
    kind: 'tool',
    name: 'Google Drive',
    description: 'List and read file metadata in the organization’s Google Drive.',
    provider: 'google_drive',
    actions: [act('files.list', 'low', 'List files (name, type, size, dates).'), act('files.get', 'low', 'Read one file’s metadata.')],
  },
  {
    key: 'quickbooks',
    kind: 'tool',
    name: 'QuickBooks Online',
    description: 'Read the company’s QuickBooks records.',
    provider: 'quickbooks',
    actions: [act('query', 'low', 'Run a read-only QuickBooks query (invoices, customers).')],
  },
  {
    key: 'servicetitan',
    kind: 'tool',
    name: 'ServiceTitan',
    description: 'Read jobs and customers in ServiceTitan.',
    provider: 'servicetitan',
    actions: [act('jobs.list', 'low', 'List jobs.'), act('customers.list', 'low', 'List customers.')],
  },
  {
    key: 'composio',
    kind: 'tool',
    name: 'Composio',
    description: 'Run a tool of a Composio connected account.',
    provider: 'composio',
    actions: [act('tools.execute', 'high', 'Execute a Composio tool.')],
  },
];

const POLICIES: BuiltInCapability[] = [
  {
    key: 'openclaw.exec_approval',
    kind: 'policy',
    name: 'Ask before commands',
    description: 'A gateway that may run commands asks its operator before each one (tools.exec ask=always, security=allowlist).',
    openclawTool: 'tools.exec',
    actions: [act('enforce', 'low', 'Apply the policy to the gateway.')],
    defaultPermission: { allowedActions: 'all', confirmation: 'never', approval: DEFAULT_APPROVAL },
  },
];

const PACKS: BuiltInCapability[] = [
  {
    key: 'pack.read_only_assistant',
    kind: 'pack',
    name: 'Read-only assistant',
    description: 'Reads files, memory and the web; runs no commands and changes no files.',
    packItems: [
      { capabilityKey: 'openclaw.fs', actions: ['read'] },
      { capabilityKey: 'openclaw.memory', actions: ['memory_search', 'memory_get'] },
      { capabilityKey: 'openclaw.web', actions: ['web_search', 'web_fetch'] },
      { capabilityKey: 'openclaw.media', actions: ['view_image', 'pdf'] },
    ],
  },
  {
    key: 'pack.office_assistant',
    kind: 'pack',
    name: 'Office assistant',
    description: 'The read-only assistant, plus editing files and sending messages; still no commands.',
    packItems: [
      { capabilityKey: 'openclaw.fs', actions: ['read', 'write', 'edit'] },
      { capabilityKey: 'openclaw.memory', actions: ['memory_search', 'memory_get'] },
      { capabilityKey: 'openclaw.web', actions: ['web_search', 'web_fetch'] },
      { capabilityKey: 'openclaw.messaging', actions: ['message'] },
      { capabilityKey: 'google_drive', actions: ['files.list', 'files.get'] },
    ],
  },
];

export const BUILT_IN_CATALOGUE: readonly BuiltInCapability[] = [OPENCLAW_LIFECYCLE, ...OPENCLAW_TOOL_GROUPS, ...SAAS_TOOLS, ...POLICIES, ...PACKS];

/** The built-in entry of this key, if there is one. */
export const builtIn = (key: string): BuiltInCapability | undefined => BUILT_IN_CATALOGUE.find((c) => c.key === key);
