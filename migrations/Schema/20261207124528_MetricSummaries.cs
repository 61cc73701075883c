using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace ProCo.Migrations.Schema
{
    /// <inheritdoc />
    public partial class MetricSummaries : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "MetricBuckets",
                columns: table => new
                {
                    RunId = table.Column<long>(type: "INTEGER", nullable: false),
                    Series = table.Column<string>(type: "TEXT", nullable: false),
                    Level = table.Column<int>(type: "INTEGER", nullable: false),
                    Bucket = table.Column<long>(type: "INTEGER", nullable: false),
                    Count = table.Column<long>(type: "INTEGER", nullable: false),
                    FirstStep = table.Column<long>(type: "INTEGER", nullable: false),
                    LastStep = table.Column<long>(type: "INTEGER", nullable: false),
                    MinStep = table.Column<long>(type: "INTEGER", nullable: true),
                    MinValue = table.Column<double>(type: "REAL", nullable: true),
                    MaxStep = table.Column<long>(type: "INTEGER", nullable: true),
                    MaxValue = table.Column<double>(type: "REAL", nullable: true),
                    FiniteMin = table.Column<double>(type: "REAL", nullable: true),
                    FiniteMax = table.Column<double>(type: "REAL", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_MetricBuckets", x => new { x.RunId, x.Series, x.Level, x.Bucket });
                    table.ForeignKey(
                        name: "FK_MetricBuckets_Runs_RunId",
                        column: x => x.RunId,
                        principalTable: "Runs",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "MetricSeries",
                columns: table => new
                {
                    RunId = table.Column<long>(type: "INTEGER", nullable: false),
                    Series = table.Column<string>(type: "TEXT", nullable: false),
                    Count = table.Column<long>(type: "INTEGER", nullable: false),
                    FirstStep = table.Column<long>(type: "INTEGER", nullable: false),
                    LastStep = table.Column<long>(type: "INTEGER", nullable: false),
                    LastValue = table.Column<double>(type: "REAL", nullable: true),
                    FiniteMin = table.Column<double>(type: "REAL", nullable: true),
                    FiniteMax = table.Column<double>(type: "REAL", nullable: true),
                    TopLevel = table.Column<int>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_MetricSeries", x => new { x.RunId, x.Series });
                    table.ForeignKey(
                        name: "FK_MetricSeries_Runs_RunId",
                        column: x => x.RunId,
                        principalTable: "Runs",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            // Series stored before summaries existed: listed as not built (TopLevel -1); the migrator
            // builds their pyramids right after migrating (MetricSummaries.BuildPendingAsync).
            migrationBuilder.Sql("""
                INSERT INTO "MetricSeries" ("RunId", "Series", "Count", "FirstStep", "LastStep", "TopLevel")
                SELECT "RunId", "Series", COUNT(*), MIN("Step"), MAX("Step"), -1 FROM "MetricPoints" GROUP BY "RunId", "Series"
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "MetricBuckets");

            migrationBuilder.DropTable(
                name: "MetricSeries");
        }
    }
}
