// The filter fields lists share (Nodes, Jobs, Instances): whose records (organization, MSP staff only),
// on which node, and a select of fixed values whose first choice is "Any". Each names its field as the
// list's query does, so a GET form of them is the list's URL.
import { Form } from 'react-router';
import { FieldError, OrganizationSelect } from './forms.tsx';

/**
 * The organization filter (when there are organizations to choose from) and the node filter (when there
 * are nodes; label: the node's name, with its organization's when several are shown).
 */
export function OrganizationNodeFilters({
  organizations,
  nodes = [],
  filters,
  errors = {},
}: {
  organizations: { id: string; name: string }[];
  nodes?: { id: string; label: string }[];
  filters: { organizationId?: string; nodeId?: string };
  errors?: { organizationId?: string; nodeId?: string };
}) {
  return (
    <>
      {organizations.length > 0 && (
        <label>
          Organization
          <OrganizationSelect organizations={organizations} defaultValue={filters.organizationId} allLabel="All organizations" />
          <FieldError message={errors.organizationId} />
        </label>
      )}
      {nodes.length > 0 && (
        <label>
          Node
          <select name="nodeId" defaultValue={filters.nodeId ?? ''}>
            <option value="">All nodes</option>
            {nodes.map((n) => (
              <option key={n.id} value={n.id}>
                {n.label}
              </option>
            ))}
          </select>
          <FieldError message={errors.nodeId} />
        </label>
      )}
    </>
  );
}

/** A labelled select of fixed values, "Any" first; values read with their underscores as spaces. */
export function AnyOfSelect({ label, name, values, defaultValue }: { label: string; name: string; values: readonly string[]; defaultValue?: string }) {
  return (
    <label>
      {label}
      <select name={name} defaultValue={defaultValue ?? ''}>
        <option value="">Any</option>
        {values.map((v) => (
          <option key={v} value={v}>
            {v.replaceAll('_', ' ')}
          </option>
        ))}
      </select>
    </label>
  );
}

/** A list's organization filter, for MSP staff (a company person has none to choose: nothing is shown). */
export function OrganizationFilter({
  of,
  organizations,
  value,
  error,
  button = 'Show',
}: {
  of: string;
  organizations: { id: string; name: string }[];
  value?: string;
  error?: string;
  button?: string;
}) {
  if (organizations.length === 0) return null;
  return (
    <Form method="get" className="row" aria-label={`Filter ${of}`}>
      <label>
        Organization
        <OrganizationSelect organizations={organizations} defaultValue={value} allLabel="All organizations" />
        <FieldError message={error} />
      </label>
      <button type="submit" className="secondary">
        {button}
      </button>
    </Form>
  );
}
