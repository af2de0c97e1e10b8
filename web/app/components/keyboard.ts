// Where the keyboard's focus goes when the page changes under it. A client-side navigation leaves the
// focus on the link that was followed, which is no longer on the page; a refused form leaves it on the
// submit button, far from the field that needs fixing.
import { useEffect, useRef } from 'react';
import { useLocation, useNavigation } from 'react-router';

/**
 * After a navigation to another page, focus the page's heading (so Tab goes on from the content, and a
 * screen reader reads the new title); after a form comes back refused, focus its first invalid field.
 * Not on the first load: the browser starts at the top of the document, as it should.
 */
export function useFocusAfterNavigation() {
  const { pathname } = useLocation();
  const navigation = useNavigation();
  const first = useRef(true);
  const submitting = useRef(false);

  useEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    const heading = document.querySelector<HTMLElement>('main h1');
    if (!heading) return;
    heading.tabIndex = -1;
    heading.focus({ preventScroll: true });
  }, [pathname]);

  useEffect(() => {
    if (navigation.state === 'submitting') {
      submitting.current = true;
      return;
    }
    if (navigation.state !== 'idle' || !submitting.current) return;
    submitting.current = false;
    const invalid = document.querySelector<HTMLElement>('main [aria-invalid="true"]');
    if (invalid && !invalid.contains(document.activeElement)) invalid.focus();
  }, [navigation.state]);
}
