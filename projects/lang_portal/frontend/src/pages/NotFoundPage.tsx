import { PageHeader } from "@app-dw/spa-kit/components/PageHeader";
import { ButtonLink } from "@app-dw/spa-kit/ui/button";

export function NotFoundPage() {
  return (
    <>
      <PageHeader title="Page not found" trail={[{ label: "Dashboard", to: "/dashboard" }]} />
      <p className="mb-4 text-muted-foreground">There is no page at this address.</p>
      <ButtonLink to="/dashboard">Go to the dashboard</ButtonLink>
    </>
  );
}
