import { useEffect, type ReactNode } from "react";
import { Breadcrumbs, type Crumb } from "./Breadcrumbs";

/** Title, breadcrumbs (ending in the title) and actions of a page; also names the tab. */
export function PageHeader({
  title,
  trail = [],
  actions,
  lang,
}: {
  title: string;
  trail?: Crumb[];
  actions?: ReactNode;
  /** The title's language when it is not English (a word's Japanese). */
  lang?: string;
}) {
  useEffect(() => {
    document.title = `${title} · Lang Portal`;
  }, [title]);

  return (
    <header className="mb-6 flex flex-col gap-2">
      <Breadcrumbs crumbs={[...trail, { label: title, lang }]} />
      <div className="flex flex-wrap items-center justify-between gap-3">
        {/* tabIndex -1: the layout moves focus here after each navigation */}
        <h1 tabIndex={-1} lang={lang} className="text-2xl font-bold tracking-tight focus:outline-none sm:text-3xl">
          {title}
        </h1>
        {actions && <div className="flex flex-wrap gap-2">{actions}</div>}
      </div>
    </header>
  );
}
