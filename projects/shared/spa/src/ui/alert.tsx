import type { ReactNode } from "react";
import { cn } from "../lib/cn";

type Tone = "info" | "error" | "success";

const tones: Record<Tone, string> = {
  info: "border-border bg-muted",
  error: "border-destructive/40 bg-destructive/10",
  success: "border-success/40 bg-success/10",
};

/** Errors are announced at once (role=alert); the rest politely (role=status). */
export function Alert({
  tone = "info",
  title,
  children,
  className,
}: {
  tone?: Tone;
  title?: string;
  children?: ReactNode;
  className?: string;
}) {
  return (
    <div
      role={tone === "error" ? "alert" : "status"}
      className={cn("rounded-md border p-3 text-sm", tones[tone], className)}
    >
      {title && <p className="font-semibold">{title}</p>}
      {children}
    </div>
  );
}
