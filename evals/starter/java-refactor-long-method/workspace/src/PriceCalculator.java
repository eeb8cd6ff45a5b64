import java.util.List;

/** Prices an order: line totals, member and coupon discounts, shipping and VAT. */
public final class PriceCalculator {
    /** One order line. */
    public record Line(String sku, int quantity, long unitCents, boolean food) {}

    /** An order. */
    public record Order(List<Line> lines, boolean member, String coupon, String country) {}

    /** The result, in cents. */
    public record Quote(long subtotal, long discount, long shipping, long vat, long total) {}

    /** Prices the order. */
    public Quote quote(Order order) {
        if (order.lines().isEmpty()) {
            throw new IllegalArgumentException("an order needs at least one line");
        }
        long subtotal = 0;
        long foodSubtotal = 0;
        for (Line line : order.lines()) {
            if (line.quantity() <= 0) {
                throw new IllegalArgumentException("bad quantity for " + line.sku());
            }
            long lineTotal = line.quantity() * line.unitCents();
            if (line.quantity() >= 10) {
                lineTotal = lineTotal - Math.round(lineTotal * 0.05);
            }
            subtotal += lineTotal;
            if (line.food()) {
                foodSubtotal += lineTotal;
            }
        }
        long discount = 0;
        if (order.member()) {
            discount += Math.round(subtotal * 0.03);
        }
        if (order.coupon() != null) {
            switch (order.coupon()) {
                case "WELCOME5" -> discount += 500;
                case "TENOFF" -> discount += Math.round(subtotal * 0.10);
                default -> throw new IllegalArgumentException("unknown coupon " + order.coupon());
            }
        }
        discount = Math.min(discount, subtotal / 2);
        long shipping;
        if (subtotal - discount >= 5000) {
            shipping = 0;
        } else if ("DE".equals(order.country()) || "AT".equals(order.country())) {
            shipping = 490;
        } else {
            shipping = 990;
        }
        double foodShare = subtotal == 0 ? 0 : (double) foodSubtotal / subtotal;
        long net = subtotal - discount;
        long foodNet = Math.round(net * foodShare);
        long otherNet = net - foodNet;
        long vat;
        if ("DE".equals(order.country())) {
            vat = Math.round(foodNet * 0.07) + Math.round(otherNet * 0.19) + Math.round(shipping * 0.19);
        } else if ("AT".equals(order.country())) {
            vat = Math.round(foodNet * 0.10) + Math.round(otherNet * 0.20) + Math.round(shipping * 0.20);
        } else {
            vat = 0;
        }
        return new Quote(subtotal, discount, shipping, vat, net + shipping + vat);
    }
}
