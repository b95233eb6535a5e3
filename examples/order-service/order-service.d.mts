export interface OrderServiceRequest {
  method: string;
  path: string;
  idempotencyKey: string | undefined;
  body: string;
}

export interface OrderService {
  url: string;
  port: number;
  /** Every request, in arrival order. */
  requests: OrderServiceRequest[];
  /** How many times an order was charged. */
  charges(id: string): number;
  close(): Promise<void>;
}

export function startOrderService(options?: { port?: number; host?: string; dbPath?: string }): Promise<OrderService>;
