/**
 * A controller's reconcile loop: `step` runs every `intervalMs`, never twice at once. What it
 * throws is kept (the last few) for the test to print when something it waits for never comes.
 */
export class Loop {
  readonly errors: string[] = [];
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(
    private readonly name: string,
    private readonly intervalMs: number,
    private readonly step: () => Promise<void>,
  ) {}

  start(): void {
    const tick = async () => {
      this.running = this.step().catch((e: unknown) => {
        this.errors.push(
          `${new Date().toISOString()} ${this.name}: ${e instanceof Error ? e.message : String(e)}`,
        );
        this.errors.splice(0, this.errors.length - 20);
      });
      await this.running;
      if (this.timer !== undefined) this.timer = setTimeout(tick, this.intervalMs);
    };
    this.timer = setTimeout(tick, 0);
  }

  async stop(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
  }
}
