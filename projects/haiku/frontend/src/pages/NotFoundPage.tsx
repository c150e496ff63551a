import { PageHeader } from "@app-dw/spa-kit/components/PageHeader";
import { ButtonLink } from "@app-dw/spa-kit/ui/button";

export function NotFoundPage() {
  return (
    <>
      <PageHeader title="Page not found" trail={[{ label: "My haiku", to: "/" }]} />
      <p className="mb-4 text-muted-foreground">There is nothing at this address.</p>
      <ButtonLink to="/">Back to my haiku</ButtonLink>
    </>
  );
}
