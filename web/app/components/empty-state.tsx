// What a list shows when it has no rows: the same shape on every page, so that "nothing yet" and "nothing
// matches these filters" never look like a page that failed to load.
import type { ReactNode } from 'react';
import { Link } from 'react-router';

/**
 * An empty list. `children` say what is missing ("No nodes yet."), `next` what to do about it; when the
 * list is `filtered`, it says that nothing matches instead and offers to clear the filters (`clearTo`,
 * the list's own path without its query).
 */
export function EmptyState({ children, next, filtered, clearTo }: { children: ReactNode; next?: ReactNode; filtered?: boolean; clearTo?: string }) {
  return (
    <div className="empty-state" data-testid="empty-state">
      {filtered ? (
        <>
          <p className="empty-title">Nothing matches these filters.</p>
          {clearTo && (
            <p>
              <Link to={clearTo}>Clear the filters</Link>
            </p>
          )}
        </>
      ) : (
        <>
          <p className="empty-title">{children}</p>
          {next && <p className="muted">{next}</p>}
        </>
      )}
    </div>
  );
}
