import java.util.List;

/** Plain checks (no JUnit here): java -cp out PriceCalculatorTest */
public final class PriceCalculatorTest {
    private static int failures;

    private static void check(String name, PriceCalculator.Quote actual, PriceCalculator.Quote expected) {
        if (!actual.equals(expected)) {
            System.err.println("FAIL " + name + ": " + actual + " != " + expected);
            failures++;
        }
    }

    private static PriceCalculator.Line line(String sku, int quantity, long unitCents, boolean food) {
        return new PriceCalculator.Line(sku, quantity, unitCents, food);
    }

    public static void main(String[] args) {
        PriceCalculator calc = new PriceCalculator();
        List<PriceCalculator.Line> mixed = List.of(line("coffee", 2, 899, true), line("mug", 1, 1250, false));
        check("plain DE", calc.quote(new PriceCalculator.Order(mixed, false, null, "DE")),
            new PriceCalculator.Quote(3048, 0, 490, 457, 3995));
        check("member AT with coupon", calc.quote(new PriceCalculator.Order(mixed, true, "TENOFF", "AT")),
            new PriceCalculator.Quote(3048, 396, 490, 472, 3614));
        check("bulk free shipping CH", calc.quote(new PriceCalculator.Order(List.of(line("tea", 12, 450, true)), false, "WELCOME5", "CH")),
            new PriceCalculator.Quote(5130, 500, 990, 0, 5620));
        check("free shipping DE", calc.quote(new PriceCalculator.Order(List.of(line("grinder", 1, 8900, false)), true, null, "DE")),
            new PriceCalculator.Quote(8900, 267, 0, 1640, 10273));
        check("discount capped", calc.quote(new PriceCalculator.Order(List.of(line("sticker", 1, 600, false)), true, "WELCOME5", "FR")),
            new PriceCalculator.Quote(600, 300, 990, 0, 1290));
        for (Runnable bad : List.<Runnable>of(
                () -> calc.quote(new PriceCalculator.Order(List.of(), false, null, "DE")),
                () -> calc.quote(new PriceCalculator.Order(List.of(line("x", 0, 1, false)), false, null, "DE")),
                () -> calc.quote(new PriceCalculator.Order(mixed, false, "NOPE", "DE")))) {
            try {
                bad.run();
                System.err.println("FAIL: invalid order accepted");
                failures++;
            } catch (IllegalArgumentException expected) {
                // good
            }
        }
        if (failures > 0) {
            System.exit(1);
        }
        System.out.println("all PriceCalculator checks passed");
    }
}
