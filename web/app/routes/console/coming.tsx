import { useLocation } from 'react-router';

export const meta = ({ location }: { location: { pathname: string } }) => {
  const section = location.pathname.slice(1);
  return [{ title: `${section.charAt(0).toUpperCase() + section.slice(1)} · Anthropy Works` }];
};

// Placeholder for console sections whose issue has not landed yet; the navigation already shows them.
export default function Coming() {
  const section = useLocation().pathname.slice(1);
  const title = section.charAt(0).toUpperCase() + section.slice(1);
  return (
    <>
      <h1>{title}</h1>
      <p className="muted">Coming: this part of the console is being built.</p>
    </>
  );
}
