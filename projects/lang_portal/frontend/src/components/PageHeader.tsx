import { useEffect, type ReactNode } from "react";
import { Breadcrumbs, type Crumb } from "./Breadcrumbs";

/** Title, breadcrumbs (ending in the title) and actions of a page; also names the tab. */
export function PageHeader({ title, trail = [], actions }: { title: string; trail?: Crumb[]; actions?: ReactNode }) {
  useEffect(() => {
    document.title = `${title} · Lang Portal`;
  }, [title]);

  return (
    <header className="mb-6 flex flex-col gap-2">
      <Breadcrumbs crumbs={[...trail, { label: title }]} />
      <div className="flex flex-wrap items-center justify-between gap-3">
        <h1 className="text-2xl font-bold tracking-tight sm:text-3xl">{title}</h1>
        {actions && <div className="flex flex-wrap gap-2">{actions}</div>}
      </div>
    </header>
  );
}
