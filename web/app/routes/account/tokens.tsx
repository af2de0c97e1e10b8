// Placeholder: being built (issue 3).
export default function Placeholder() {
  return <p className="muted">Coming.</p>;
}
